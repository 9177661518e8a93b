// Detected spans: how detectors report them, how overlapping ones merge (a
// mask covers the union, so no part of a secret survives), and how a text is
// rewritten with one tag per merged region.
import type { EntityName } from './entities.ts'

/** A detection: `type` is an entity name, a user pattern's name, or `keyword`. */
export interface Span {
  type: string
  start: number
  end: number
  /** its action is block (else mask) */
  block: boolean
}

/** What detectors push into; built-in detectors leave `block` to the entity's configured action. */
export type Sink = (type: string, start: number, end: number, block?: boolean) => void

/** A built-in detector: one pass over a text, reporting spans of its entities. */
export interface Detector {
  /** the entities it may report */
  entities: readonly EntityName[]
  scan(text: string, push: Sink): void
}

/** A merged, non-overlapping region and every type detected inside it. */
export interface Region {
  type: string
  start: number
  end: number
  types: string[]
  /** the types inside whose action is block */
  blocking: string[]
}

/**
 * Sorts and merges overlapping spans. The region takes the type of its
 * highest-priority span (the longer one on a tie); `types` keeps them all so
 * a block action of any of them still applies.
 */
export function mergeSpans(spans: Span[], priority: (type: string) => number): Region[] {
  if (spans.length === 0) return []
  const sorted = spans.slice().sort((a, b) => a.start - b.start || b.end - a.end)
  const out: Region[] = []
  let cur: Region | undefined
  let curPrio = 0
  let curLen = 0
  for (const s of sorted) {
    if (s.end <= s.start) continue
    if (cur && s.start < cur.end) {
      if (s.end > cur.end) cur.end = s.end
      if (!cur.types.includes(s.type)) cur.types.push(s.type)
      if (s.block && !cur.blocking.includes(s.type)) cur.blocking.push(s.type)
      const p = priority(s.type)
      const len = s.end - s.start
      if (p > curPrio || (p === curPrio && len > curLen)) {
        cur.type = s.type
        curPrio = p
        curLen = len
      }
      continue
    }
    cur = { type: s.type, start: s.start, end: s.end, types: [s.type], blocking: s.block ? [s.type] : [] }
    curPrio = priority(s.type)
    curLen = s.end - s.start
    out.push(cur)
  }
  return out
}

/** `text` with every region replaced by its tag. */
export function applyMasks(text: string, regions: readonly Region[], tag: (type: string) => string): string {
  let out = ''
  let pos = 0
  for (const r of regions) {
    out += text.slice(pos, r.start) + tag(r.type)
    pos = r.end
  }
  return out + text.slice(pos)
}
