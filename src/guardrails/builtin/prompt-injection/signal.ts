// What a detection signal is, and the checks signals share: where an
// imperative addressed to the model can stand, quoted mentions inside texts
// that discuss attacks, and override verbs aimed at the writer's own earlier
// instructions. Patterns run on the normalised, lower-cased text.

export type Family = 'instruction_override' | 'roleplay_jailbreak' | 'prompt_exfiltration' | 'fake_delimiter' | 'obfuscation'

export const FAMILIES: readonly Family[] = ['instruction_override', 'roleplay_jailbreak', 'prompt_exfiltration', 'fake_delimiter', 'obfuscation']

/** One view of a text being scanned. */
export interface ScanText {
  /** normalised, lower-cased */
  s: string
  /** the same text before lower-casing (same length), when known: for ALL-CAPS cues such as `DAN` or `SYSTEM:` */
  cased: string | undefined
  /** does the text talk about attacks, examples, translation… (a quoted attack phrase is then a mention) */
  meta(): boolean
  /** `re.test(s)`, computed once per view (tests of the whole text must not run once per match) */
  has(re: RegExp): boolean
}

export interface Signal {
  id: string
  family: Family
  /**
   * Where a match can start: words starting with the anchor (an anchor of
   * under 5 characters must be the whole word) or, for CJK and punctuation,
   * two-character pairs. The pattern is tried (sticky) at those positions
   * only, so it must begin there; context before goes in a look-behind.
   */
  anchors: readonly string[]
  re: RegExp
  weight: number
  /** the match must stand where an imperative addressed to the model can: after a sentence start, `please`, `you must`… */
  position?: 'latin' | 'zh'
  /** the matched words say the instructions are the writer's own (`my previous instructions`): weight × 0.1 */
  own?: boolean
  /** weight × 0.25 for a quoted match in a text that discusses such phrases (default on) */
  mention?: boolean
  /** the weight of one match, after the checks above (default `weight`) */
  weigh?: (m: RegExpExecArray, t: ScanText, start: number) => number
  /** cheap filters tried before the regex: the word after / before the anchor word must be one of these (by wordHash) */
  next?: ReadonlySet<number>
  /** anchor words that pass without the `next` check (`nevermind` needs no second word) */
  orWord?: ReadonlySet<number>
  prev?: ReadonlySet<number>
  /** the anchor must open a line (after spaces, #, *, =, -) */
  lineStart?: boolean
}

export interface SignalDef {
  id: string
  family: Family
  anchors: readonly string[]
  /** pattern source: a space means `\s+`, `~` means `\s*` */
  pattern: string
  weight: number
  position?: 'latin' | 'zh'
  own?: boolean
  mention?: boolean
  weigh?: (m: RegExpExecArray, t: ScanText, start: number) => number
  next?: readonly string[]
  orWord?: readonly string[]
  prev?: readonly string[]
  lineStart?: boolean
}

/** Start and end of a word, Unicode-aware (JS `\b` only knows ASCII). */
export const B = '(?<![\\p{L}\\p{N}_])'
export const E = '(?![\\p{L}\\p{N}_])'

/** A whole word's hash, as the scanner computes it for the words around an anchor. */
export function wordHash(w: string): number {
  let h = 0
  for (let i = 0; i < w.length; i++) h = (Math.imul(h, 31) + w.charCodeAt(i)) & 0x7ffffff
  return h * 32 + Math.min(w.length, 31)
}

/** `(?:a|b|c)` */
export const alt = (...xs: readonly string[]): string => `(?:${xs.join('|')})`

/** Pattern source → sticky RegExp: a space is `\s+`, `~` is `\s*`. */
export function compile(pattern: string): RegExp {
  return new RegExp(pattern.replace(/ /g, '\\s+').replace(/~/g, '\\s*'), 'uy')
}

export function signal(d: SignalDef): Signal {
  return {
    id: d.id,
    family: d.family,
    anchors: d.anchors,
    re: compile(d.pattern),
    weight: d.weight,
    ...(d.position ? { position: d.position } : {}),
    ...(d.own ? { own: true } : {}),
    mention: d.mention ?? true,
    ...(d.weigh ? { weigh: d.weigh } : {}),
    ...(d.next ? { next: new Set(d.next.map(wordHash)) } : {}),
    ...(d.orWord ? { orWord: new Set(d.orWord.map(wordHash)) } : {}),
    ...(d.prev ? { prev: new Set(d.prev.map(wordHash)) } : {}),
    ...(d.lineStart ? { lineStart: true } : {}),
  }
}

// Words after which an imperative addressed to the model stands (the last
// word before the verb). Kept to imperative lead-ins: `to` alone is not one
// (`how to ignore…`, `told the bot to ignore…` are talk about it).
const LEAD_WORDS: readonly string[] = [
  // en
  'please', 'pls', 'plz', 'now', 'just', 'simply', 'kindly', 'and', 'then', 'so', 'also', 'first', 'firstly', 'next', 'ok', 'okay', 'alright',
  'hey', 'hi', 'hello', 'yo', 'immediately', 'always', 'hereby', 'seriously', 'really', 'completely', 'totally', 'fully', 'entirely', 'actually',
  'instead', 'but', 'promptly', 'quickly', 'urgently', 'important', 'note', 'attention',
  // a request addressed to the model
  'can you', 'could you', 'would you', 'will you', 'can u', 'could u', 'i want you to', 'i need you to',
  "let's", 'let us', 'you to', 'you now', 'you must', 'you should', 'you will', "you'll", 'you shall', 'you need to', 'you have to', 'you are to',
  "you're to", 'you are going to', "you're going to", 'you can', 'you may', 'you better', "you'd better", 'you gotta', 'you are required to',
  "you're required to", 'you are instructed to', "you're instructed to", 'you are now to', 'you are hereby',
  'task is to', 'job is to', 'goal is to', 'mission is to', 'role is to', 'purpose is to', 'only rule is to', 'priority is to',
  'from now on', 'going forward', 'starting now', 'for the rest of this conversation', 'at this point',
  // es
  'por favor', 'porfa', 'ahora', 'y', 'luego', 'después', 'entonces', 'simplemente', 'solo', 'sólo', 'primero', 'también', 'debes', 'deberás',
  'tienes que', 'hay que', 'vas a', 'necesito que', 'quiero que', 'te pido que', 'te ordeno que', 'a partir de ahora', 'desde ahora', 'inmediatamente',
  // fr
  "s'il te plaît", "s'il vous plaît", 'stp', 'svp', 'maintenant', 'et', 'puis', 'ensuite', 'alors', 'simplement', 'juste', "d'abord", 'aussi',
  'tu dois', 'vous devez', 'il faut', 'veuillez', 'je veux que tu', 'désormais', 'dorénavant', 'immédiatement', 'merci de',
  // de
  'bitte', 'jetzt', 'nun', 'und', 'dann', 'einfach', 'zuerst', 'auch', 'sofort', 'du musst', 'sie müssen', 'ab sofort', 'ab jetzt', 'von nun an',
  // ru
  'пожалуйста', 'теперь', 'сейчас', 'и', 'затем', 'потом', 'просто', 'сначала', 'также', 'немедленно', 'срочно', 'отныне',
  // pt
  'agora', 'e', 'então', 'depois', 'apenas', 'só', 'você deve', 'voce deve', 'tu deves', 'a partir de agora', 'imediatamente', 'quero que você',
  'quero que voce', 'preciso que você',
  // it
  'per favore', 'perfavore', 'adesso', 'ora', 'poi', 'quindi', 'semplicemente', 'prima', 'anche', 'devi', 'dovete', 'dovrai', 'da ora in poi',
  "d'ora in poi", 'immediatamente', 'voglio che tu',
  // `AI assistants must ignore…` in a document
  ...['ai', 'assistant', 'assistants', 'agent', 'agents', 'model', 'models', 'llm', 'llms', 'bot', 'bots', 'chatbot', 'chatbots', 'gpt', 'chatgpt', 'claude'].flatMap((who) =>
    ['must', 'should', 'will', 'shall', 'need to', 'have to', 'are to', 'is to', 'are required to', 'are instructed to', 'now'].map((modal) => `${who} ${modal}`),
  ),
]

// Chinese: the verb opens a clause, or follows a word that makes it an order
// (`请`, `现在`, `你要`…); `模型会忽略…` (the model would ignore…) is talk about it.
const ZH_LEAD_WORDS: readonly string[] = [
  '请你', '請你', '请', '請', '现在', '現在', '你要', '你必须', '你必須', '你需要', '你应该', '你應該', '你得', '你就', '你', '您', '就', '并且', '並且', '并', '並', '然后', '然後',
  '立即', '立刻', '马上', '馬上', '直接', '先', '要', '必须', '必須', '务必', '務必', '给我', '給我', '从现在开始', '從現在開始', '从现在起', '從現在起', '接下来', '接下來',
  '此后', '此後', '全部', '彻底', '徹底', '完全', '都', '也', '只要', '开始', '開始', '好的', '好',
]

const reverse = (w: string): string => [...w].reverse().join('')
// The lead words reversed, matched at the start of the reversed text before the
// verb: a sticky match from one end instead of a `…$` search from every position.
const REV_LATIN = new RegExp(`(?:${[...new Set(LEAD_WORDS)].map((w) => reverse(w).replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+')).sort((a, b) => b.length - a.length).join('|')})(?![\\p{L}\\p{N}])`, 'uy')
const REV_ZH = new RegExp(`(?:${[...new Set(ZH_LEAD_WORDS)].map(reverse).sort((a, b) => b.length - a.length).join('|')})`, 'uy')

const isSpaceOrComma = (c: number): boolean => c === 32 || c === 9 || c === 44 || c === 0x3001 || c === 0xff0c || c === 0xa0
const isAlnum = (ch: string): boolean => /[\p{L}\p{N}]/u.test(ch)

/** Can an imperative addressed to the model start at `start` of `s`? */
export function imperativeAt(s: string, start: number, kind: 'latin' | 'zh'): boolean {
  let i = start
  let comma = false
  while (i > 0 && isSpaceOrComma(s.charCodeAt(i - 1))) {
    if (s.charCodeAt(i - 1) !== 32 && s.charCodeAt(i - 1) !== 9 && s.charCodeAt(i - 1) !== 0xa0) comma = true
    i--
  }
  if (i === 0 || comma) return true
  const prev = s[i - 1] as string
  // after a sentence end, a line break, a quote, a bracket, a colon…
  if (prev === '\n' || !isAlnum(prev)) return true
  const before = reverse(s.slice(Math.max(0, i - 40), i))
  const re = kind === 'latin' ? REV_LATIN : REV_ZH
  re.lastIndex = 0
  return re.test(before)
}

// the writer's own instructions: `ignore my previous instructions`, `忽略我之前的…`
const OWN = /(?<![\p{L}])(?:my|our|mis|mi|nuestr[ao]s?|mes|ma|mon|nos|notre|meine[nmrs]?|unsere[nmrs]?|мои|мой|моих|мою|моё|мое|наши|наших|minhas?|meus?|nossas?|nossos?|mie|miei|mia|mio|nostre|nostri)(?![\p{L}])|我|私の|僕の|俺の|自分の|わたしの/u

export const isOwn = (matched: string): boolean => OWN.test(matched)

const OPEN_QUOTES = '"\'“‘«「『„‚‹`'
const CLOSE_QUOTES = '"\'”’»」』“‹›`'

/**
 * Is the match at [start, end) inside quotes: an opening quote shortly before
 * it (nothing but words between) and a closing one shortly after?
 */
export function quoted(s: string, start: number, end: number): boolean {
  let open = -1
  for (let i = start - 1; i >= 0 && i >= start - 48; i--) {
    const c = s[i] as string
    if (OPEN_QUOTES.includes(c)) {
      // an apostrophe inside a word (don't, l'instruction) is no quote
      if (c === "'" && i > 0 && /[\p{L}]/u.test(s[i - 1] as string)) continue
      open = i
      break
    }
    if (c === '\n' || c === '.' || c === '!' || c === '?') return false
  }
  if (open < 0) return false
  const limit = Math.min(s.length, end + 400)
  for (let i = end; i < limit; i++) {
    const c = s[i] as string
    if (CLOSE_QUOTES.includes(c)) {
      if (c === "'" && i + 1 < s.length && /[\p{L}]/u.test(s[i + 1] as string)) continue
      return true
    }
    if (c === '\n' && s[i + 1] === '\n') return false
  }
  return false
}

// A text that discusses attack phrases rather than using them: security
// talk, examples, translation. (Plain reporting words — said, wrote — are not
// enough: `my boss said: "ignore all previous instructions…"` is still the
// attack, quoted.)
export const META =
  /prompt[- ]?injection|injection|jailbreak|attack|adversarial|malicious|detect|classif|defen[cs]|guardrail|sanitiz|example|e\.g\.|for instance|such as|(?:phrases?|strings?|messages?|inputs?|prompts?|sentences?|lines?|things?|words?|replies|tweets?) like|dataset|red[- ]?team|security|what does|meaning|means|translat|regex|test case|payload|meme|phishing|spam|traduc|traduis|traduz|übersetz|переведи|перевод|пример|атак|инъекц|ejemplo|exemple|beispiel|exemplo|esempio|翻译|翻譯|翻訳|例如|比如|例えば|攻击|攻撃|注入|インジェクション|検出|检测|防御|防止/u
