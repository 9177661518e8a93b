// Scores a text: prepares its views, scans each, adds what the obfuscation
// itself says, analyses decoded payloads, and combines the signal weights
// into one score in [0, 1] (noisy-OR: independent pieces of evidence add up,
// none alone exceeds its own weight).
import { noFeatures } from './chars.ts'
import { SQUASHED } from './neutral.ts'
import { extraViews, normalise, type ViewKind } from './normalise.ts'
import { scanText, scanView, type Found } from './scan.ts'
import { FAMILIES, type Family } from './signal.ts'

export interface Analysis {
  score: number
  /** per family, the combined weight of its signals */
  families: Map<Family, number>
  /** ids of the signals that fired */
  signals: string[]
}

export interface AnalyseOptions {
  decodeBase64: boolean
}

/** Characters scanned in full; beyond that, the head, the tail and samples of the middle. */
export const MAX_SCAN = 256 * 1024
const HEAD = 96 * 1024
const TAIL = 64 * 1024
const SAMPLES = 8
const SAMPLE = 8 * 1024

// a view other than the base one found something: the disguise is evidence too
const REVEALED: Readonly<Record<Exclude<ViewKind, 'base'>, number>> = { homoglyph: 0.3, spaced: 0.3, leet: 0.3, reversed: 0.35 }
const PAYLOAD = { base64: 0.4, tags: 0.3 } as const

export function analyse(text: string, opts: AnalyseOptions, depth = 0): Analysis {
  const found = collect(bound(text), opts, depth)
  return summarise(found)
}

/** What the scanner reads of a very long text. */
export function bound(text: string): string {
  if (text.length <= MAX_SCAN) return text
  const parts = [text.slice(0, HEAD)]
  const middle = text.length - HEAD - TAIL
  for (let i = 0; i < SAMPLES; i++) {
    const at = HEAD + Math.floor(((i + 0.5) * middle) / SAMPLES) - SAMPLE / 2
    parts.push(text.slice(at, at + SAMPLE))
  }
  parts.push(text.slice(text.length - TAIL))
  return parts.join('\n\n')
}

/** Does `m` hold real evidence (not only obfuscation) beyond what `known` already has? */
const substantive = (m: Map<string, Found>, known?: Map<string, Found>): boolean => {
  for (const [id, f] of m) if (f.family !== 'obfuscation' && f.weight >= 0.2 && f.weight > (known?.get(id)?.weight ?? 0)) return true
  return false
}

function merge(into: Map<string, Found>, from: Map<string, Found>): void {
  for (const [id, f] of from) {
    const prev = into.get(id)
    if (!prev || prev.weight < f.weight) into.set(id, f)
  }
}

function collect(text: string, opts: AnalyseOptions, depth: number): Map<string, Found> {
  const n = normalise(text)
  const found = new Map<string, Found>()
  const features = noFeatures()
  scanView(scanText(n.lower, n.cased), found, features)
  const extra = extraViews(n, features)
  for (const v of extra.views) {
    const local = new Map<string, Found>()
    scanView(scanText(v.s, v.cased), local)
    if (v.kind !== 'base' && substantive(local, found)) local.set(`obf.${v.kind}`, { family: 'obfuscation', weight: REVEALED[v.kind] })
    merge(found, local)
  }
  for (const [id, weight] of n.intrinsic) found.set(id, { family: 'obfuscation', weight })
  for (const sq of extra.squashed) {
    if (sq.length < 8) continue
    for (const q of SQUASHED) {
      if (q.re.test(sq)) {
        found.set(q.id, { family: q.family, weight: q.weight })
        found.set('obf.spaced', { family: 'obfuscation', weight: REVEALED.spaced })
      }
    }
  }
  if (depth < 2) {
    for (const payload of [...n.payloads, ...extra.payloads]) {
      if (payload.kind === 'base64' && !opts.decodeBase64) continue
      const inner = collect(payload.text, opts, depth + 1)
      if (!substantive(inner)) continue
      merge(found, inner)
      found.set(`obf.${payload.kind}_payload`, { family: 'obfuscation', weight: PAYLOAD[payload.kind] })
    }
  }
  return found
}

function summarise(found: Map<string, Found>): Analysis {
  const families = new Map<Family, number>()
  let keep = 1
  for (const f of found.values()) {
    keep *= 1 - f.weight
    families.set(f.family, 1 - (1 - (families.get(f.family) ?? 0)) * (1 - f.weight))
  }
  const ordered = new Map<Family, number>()
  for (const fam of FAMILIES) {
    const w = families.get(fam)
    if (w !== undefined) ordered.set(fam, w)
  }
  return { score: 1 - keep, families: ordered, signals: [...found.keys()] }
}
