// The override phrase of the languages that put the verb first
// (`ignore all previous instructions`, `ignora todas las instrucciones
// anteriores`, `ignoriere alle vorherigen Anweisungen`): one builder, one
// weighting. Strong when the words between verb and object (or right after
// the object) say whose or which instructions — the model's, the earlier
// ones, the system's; medium with a bare quantifier (`all rules`); weak with
// just an article (`ignore the instructions` is how manuals are talked about).
import { B, E, signal, type ScanText, type Signal } from './signal.ts'

export interface OverrideSpec {
  lang: string
  /** the first word (stem) of every one-word verb: where a match can start */
  anchors: readonly string[]
  /** phrasal verbs (`do not follow`, `haz caso omiso`): their first words, and the words that must come next */
  phrasal?: { anchors: readonly string[]; next: readonly string[]; orWord?: readonly string[] }
  /** regex alternation of the verbs */
  verbs: string
  /** alternation of the words allowed between verb and object */
  fill: string
  /** in those words: makes it strong (possessive your, previous, system…) */
  strongMid: RegExp
  /** in those words: makes it medium (all, any…) */
  quantMid: RegExp
  /** alternation: objects that are instructions proper */
  objects: string
  /** alternation: objects that may be instructions (context, task…): half weight */
  weakObjects: string
  /** alternation: what after the object makes it strong (`anteriores`, `above`, `you were given`) */
  strongAfter: string
  /** text right after the match that shows the instructions are someone else's (a manual's, the writer's) */
  benignAfter?: RegExp
  /** needs `position` (verb forms shared with statements: `el modelo ignora…`); Russian imperatives don't */
  position?: boolean
  /** raises the weight when the text goes on to say what to do instead */
  then?: (w: number, s: string, end: number) => number
  /** verb forms that ask rather than order when the sentence ends in `?` (`Ignorierst du …?`) */
  asking?: RegExp
}

export function overrideSignals(o: OverrideSpec): Signal[] {
  const main = overrideSignal(o, o.anchors, undefined)
  return o.phrasal ? [main, overrideSignal(o, o.phrasal.anchors, o.phrasal.next, o.phrasal.orWord)] : [main]
}

function overrideSignal(o: OverrideSpec, anchors: readonly string[], next: readonly string[] | undefined, orWord?: readonly string[]): Signal {
  // fill words are followed by spaces/commas; French/Italian elisions (l', d') by nothing
  const fill = `(?:(?:${o.fill})[\\s,]+|(?:l|d|qu|dell|all|nell|sull)['’])`
  const pattern = `${B}(?:${o.verbs}) ((?:${fill}){0,6})(?:(${o.objects})|(${o.weakObjects}))${E}((?: (?:${o.strongAfter})${E})?)`
  return signal({
    id: `${o.lang}.override`,
    family: 'instruction_override',
    anchors,
    ...(next ? { next } : {}),
    ...(orWord ? { orWord } : {}),
    pattern,
    weight: 0.9,
    ...(o.position === false ? {} : { position: 'latin' as const }),
    own: true,
    weigh: (m: RegExpExecArray, t: ScanText, start: number): number => {
      const mid = m[1] ?? ''
      const after = m[4] ?? ''
      let w = o.strongMid.test(mid) || after.trim() !== '' ? 0.9 : o.quantMid.test(mid) ? 0.45 : 0.2
      if (m[3] !== undefined) w *= 0.5
      const end = start + m[0].length
      if (o.asking?.test(m[0]) && /^[^.!\n]{0,80}\?/.test(t.s.slice(end, end + 81))) w *= 0.2
      if (o.benignAfter && after.trim() === '' && o.benignAfter.test(t.s.slice(end, end + 80))) w *= 0.25
      return o.then ? o.then(w, t.s, end) : w
    },
  })
}
