// A fake Presidio: analyzer (`POST /analyze`) and anonymizer
// (`POST /anonymize`) on one real HTTP server on 127.0.0.1, recording every
// request. The analyzer finds e-mail addresses, US SSNs (`\d{3}-\d{2}-\d{4}`)
// and card numbers by regex and answers their offsets as Presidio does (Python
// string indices: code points); the anonymizer resolves overlaps and applies
// replace / redact / mask / hash to the given results as Presidio's
// AnonymizerEngine does. Either fails the ways services fail (service-faults.ts).
import { createHash } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { type RecordedRequest, sendJson, startJsonServer } from './json-server.ts'
import { applyFault, type Fault } from './service-faults.ts'

export interface Recognizer {
  entity: string
  pattern: RegExp
  score: number
}

export type PresidioPath = '/analyze' | '/anonymize'

export interface FakePresidio {
  /** base URL (no path), to use as analyzer_api_base and anonymizer_api_base */
  url: string
  requests: RecordedRequest[]
  /** the requests to one endpoint */
  calls(path: PresidioPath): RecordedRequest[]
  /** the analyzer's recognizers; edit freely (patterns need the g flag) */
  recognizers: Recognizer[]
  /** applied to every request (only those to `faultOn`, when set) until cleared */
  fault: Fault | undefined
  faultOn: PresidioPath | undefined
  close(): Promise<void>
}

export const DEFAULT_RECOGNIZERS: readonly Recognizer[] = [
  { entity: 'EMAIL_ADDRESS', pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, score: 1 },
  { entity: 'US_SSN', pattern: /\b\d{3}-\d{2}-\d{4}\b/g, score: 0.85 },
  { entity: 'CREDIT_CARD', pattern: /\b(?:\d{4}[ -]){3}\d{4}\b/g, score: 1 },
]

interface Detected {
  entity_type: string
  start: number
  end: number
  score: number
}

export async function startFakePresidio(): Promise<FakePresidio> {
  const fake: FakePresidio = {
    url: '',
    requests: [],
    calls: (path) => fake.requests.filter((r) => r.path === path),
    recognizers: [...DEFAULT_RECOGNIZERS],
    fault: undefined,
    faultOn: undefined,
    close: () => server.close(),
  }

  const server = await startJsonServer(async (req, res) => {
    fake.requests.push({ method: req.method, path: req.path, headers: req.headers, body: req.body })
    if ((fake.faultOn === undefined || fake.faultOn === req.path) && (await applyFault(res, fake.fault))) return
    if (res.destroyed) return
    if (req.method === 'POST' && req.path === '/analyze') return analyze(res, req.body, fake.recognizers)
    if (req.method === 'POST' && req.path === '/anonymize') return anonymize(res, req.body)
    return sendJson(res, 404, { error: 'not found' })
  }, JSON.stringify({ error: 'Invalid request json' }))
  fake.url = server.url
  return fake
}


function analyze(res: ServerResponse, body: Record<string, unknown>, recognizers: readonly Recognizer[]): void {
  const { text, language, entities, score_threshold: threshold } = body
  if (typeof text !== 'string' || typeof language !== 'string') return sendJson(res, 400, { error: 'text and language are required' })
  if (language !== 'en') return sendJson(res, 500, { error: `No matching recognizers were found to serve the request (language ${language})` })
  const found: Detected[] = []
  for (const r of recognizers) {
    if (Array.isArray(entities) && !entities.includes(r.entity)) continue
    if (typeof threshold === 'number' && r.score < threshold) continue
    for (const m of text.matchAll(new RegExp(r.pattern.source, r.pattern.flags.includes('g') ? r.pattern.flags : r.pattern.flags + 'g'))) {
      const start = codePointIndex(text, m.index)
      found.push({ entity_type: r.entity, start, end: start + [...m[0]].length, score: r.score })
    }
  }
  // Presidio answers extra fields too
  sendJson(
    res,
    200,
    found.map((d) => ({ analysis_explanation: null, ...d, recognition_metadata: { recognizer_name: `Fake${d.entity_type}Recognizer` } })),
  )
}

type Operator = Record<string, unknown> & { type?: unknown }

function anonymize(res: ServerResponse, body: Record<string, unknown>): void {
  const { text, analyzer_results: results, anonymizers } = body
  if (typeof text !== 'string') return sendJson(res, 422, { error: 'Invalid input, text must be a string' })
  if (!Array.isArray(results)) return sendJson(res, 422, { error: 'Invalid input, analyzer_results must be a list' })
  const ops = (anonymizers ?? {}) as Record<string, Operator>
  const chars = [...text]
  const detected: Detected[] = []
  for (const r of results as Array<Record<string, unknown>>) {
    const { entity_type, start, end, score } = r
    if (typeof entity_type !== 'string' || !Number.isInteger(start) || !Number.isInteger(end) || typeof score !== 'number') {
      return sendJson(res, 422, { error: 'Invalid input, analyzer result must have entity_type, start, end, score' })
    }
    if ((start as number) < 0 || (end as number) > chars.length || (start as number) >= (end as number)) {
      return sendJson(res, 422, { error: `Invalid analyzer result, start ${String(start)} end ${String(end)} out of text of ${chars.length}` })
    }
    detected.push({ entity_type, start: start as number, end: end as number, score })
  }
  const spans = resolveConflicts(detected).sort((a, b) => a.start - b.start)
  // offsets of items are in the new text (Presidio's normalize_item_indexes)
  const out: string[] = []
  const items: Array<{ start: number; end: number; entity_type: string; text: string; operator: string }> = []
  let pos = 0
  for (const s of spans) {
    const start = Math.max(s.start, pos)
    const op = ops[s.entity_type] ?? ops.DEFAULT ?? { type: 'replace' }
    let replacement: string
    try {
      replacement = operate(op, chars.slice(start, s.end).join(''), s.entity_type)
    } catch (err) {
      return sendJson(res, 422, { error: (err as Error).message })
    }
    out.push(...chars.slice(pos, start))
    items.push({ start: out.length, end: out.length + [...replacement].length, entity_type: s.entity_type, text: replacement, operator: String(op.type) })
    out.push(...replacement)
    pos = Math.max(pos, s.end)
  }
  out.push(...chars.slice(pos))
  sendJson(res, 200, { text: out.join(''), items })
}

function operate(op: Operator, value: string, entity: string): string {
  switch (op.type) {
    case 'replace':
      if (op.new_value !== undefined && typeof op.new_value !== 'string') throw new Error('Invalid input, new_value must be a string')
      return (op.new_value as string | undefined) ?? `<${entity}>`
    case 'redact':
      return ''
    case 'mask': {
      const { masking_char: ch, chars_to_mask: n, from_end: fromEnd } = op
      if (typeof ch !== 'string' || [...ch].length !== 1) throw new Error('Invalid input, masking_char must be a character')
      if (!Number.isInteger(n)) throw new Error('Invalid input, chars_to_mask must be an integer')
      if (typeof fromEnd !== 'boolean') throw new Error('Invalid input, from_end must be a boolean')
      const cs = [...value]
      const k = Math.max(0, Math.min(n as number, cs.length))
      const start = fromEnd ? cs.length - k : 0
      return [...cs.slice(0, start), ...ch.repeat(k), ...cs.slice(start + k)].join('')
    }
    case 'hash': {
      const algo = op.hash_type ?? 'sha256'
      if (algo !== 'sha256' && algo !== 'sha512') throw new Error(`Invalid input, hash_type ${String(algo)} is not supported`)
      return createHash(algo).update(value).digest('hex')
    }
    default:
      throw new Error(`Invalid operator class '${String(op.type)}'.`)
  }
}

/**
 * Presidio's MERGE_SIMILAR_OR_CONTAINED: overlapping results of one entity type
 * merge; a result contained in another (or with the same span and a lower or
 * equal score) is dropped.
 */
function resolveConflicts(results: readonly Detected[]): Detected[] {
  const all = results.map((r) => ({ ...r }))
  const merged: Detected[] = []
  let others = [...all]
  for (const r of all) {
    others = others.filter((o) => o !== r)
    const same = others.find((o) => o.entity_type === r.entity_type && Math.min(r.end, o.end) > Math.max(r.start, o.start))
    if (same) {
      same.start = Math.min(r.start, same.start)
      same.end = Math.max(r.end, same.end)
      same.score = Math.max(r.score, same.score)
    } else {
      others.push(r)
      merged.push(r)
    }
  }
  const unique: Detected[] = []
  let rest = [...merged]
  for (const r of merged) {
    rest = rest.filter((o) => o !== r)
    const conflicted = rest.some((o) => (o.start === r.start && o.end === r.end ? r.score <= o.score : o.start <= r.start && r.end <= o.end))
    if (!conflicted) {
      rest.push(r)
      unique.push(r)
    }
  }
  return unique
}

/** The code-point index of UTF-16 offset `utf16` in `text`. */
function codePointIndex(text: string, utf16: number): number {
  return [...text.slice(0, utf16)].length
}
