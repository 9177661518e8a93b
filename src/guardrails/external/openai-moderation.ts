// `openai_moderation`: the texts of a call, in or out, go to an OpenAI-style
// moderation endpoint (`POST {api_base}/moderations`, one request for all the
// texts, batched when there are many or they are long). A category with a
// configured threshold is hit when its score reaches it; other categories
// follow the service's own `categories` booleans (or `default_threshold`).
// A hit blocks (or, with `action: flag`, is recorded and let through); the
// reason names categories and scores, never the text.
import { z } from 'zod'
import { ParamError, type GuardrailFactory } from '../factory.ts'
import { parseParams } from '../params.ts'
import type { Finding, GuardContext, Guardrail, GuardText, Verdict } from '../types.ts'
import { mapLimit } from './map-limit.ts'
import { checkApiBase, ServiceClient, ServiceError, serviceTimeoutMs } from './service.ts'

export const DEFAULT_API_BASE = 'https://api.openai.com/v1'
export const DEFAULT_MODEL = 'omni-moderation-latest'

/** The categories OpenAI documents; other names are accepted (services add categories) with a warning. */
export const KNOWN_CATEGORIES: ReadonlySet<string> = new Set([
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
])

/** At most this many inputs per request. */
const MAX_ITEMS = 32
/** A text longer than this is moderated in pieces (split at whitespace); its scores are the pieces' highest. */
const MAX_PIECE_CHARS = 8_000
/** At most this many characters per request. */
const MAX_BATCH_CHARS = 64_000
/** Requests of one check in flight at once. */
const CONCURRENCY = 4

const num = z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number())
const Threshold = num.pipe(z.number().min(0, 'a threshold is a score between 0 and 1').max(1, 'a threshold is a score between 0 and 1'))

const Params = z.object({
  api_key: z.string().min(1, 'api_key must not be empty').optional(),
  model: z.string().min(1).default(DEFAULT_MODEL),
  categories: z.record(z.string(), Threshold).optional(),
  default_threshold: Threshold.optional(),
  action: z.enum(['block', 'flag']).default('block'),
})

const Answer = z.object({
  results: z.array(
    z.object({
      flagged: z.boolean().optional(),
      categories: z.record(z.string(), z.boolean().nullable()).default({}),
      category_scores: z.record(z.string(), z.number()),
    }),
  ),
})
type Result = z.infer<typeof Answer>['results'][number]

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/

export const createOpenAIModeration: GuardrailFactory = (params, ctx) => {
  // a `custom` module's factory is called with the params alone
  const name = ctx.name
  const p = parseParams(Params, params)
  const apiBase = params.api_base === undefined ? DEFAULT_API_BASE : checkApiBase(params.api_base, 'api_base', (m) => ctx.warn?.('api_base', m))
  if (p.api_key === undefined && !LOOPBACK.test(new URL(apiBase).hostname)) {
    throw new ParamError('api_key', `api_key is required for ${apiBase} (e.g. api_key: os.environ/OPENAI_API_KEY)`)
  }
  for (const c of Object.keys(p.categories ?? {})) {
    if (!KNOWN_CATEGORIES.has(c)) ctx.warn?.('categories', `"${c}" is not an OpenAI moderation category (${[...KNOWN_CATEGORIES].join(', ')}); it only matters if the service reports it`)
  }
  const thresholds = new Map(Object.entries(p.categories ?? {}))
  const client = new ServiceClient({
    name,
    apiBase,
    timeoutMs: serviceTimeoutMs(params.timeout),
    ...(p.api_key !== undefined ? { headers: { authorization: `Bearer ${p.api_key}` } } : {}),
  })

  /** The categories a result hits, with their scores. */
  const hits = (r: Result): Array<[string, number]> => {
    const out: Array<[string, number]> = []
    for (const c of new Set([...Object.keys(r.category_scores), ...Object.keys(r.categories)])) {
      const score = r.category_scores[c] ?? 0
      const threshold = thresholds.get(c) ?? p.default_threshold
      if (threshold !== undefined ? score >= threshold : r.categories[c] === true) out.push([c, score])
    }
    return out
  }

  async function moderate(texts: GuardText[], gctx: GuardContext): Promise<Verdict> {
    const pieces: Array<{ index: number; text: string }> = []
    for (const t of texts) {
      if (t.text.trim() === '') continue
      for (const piece of split(t.text, MAX_PIECE_CHARS)) pieces.push({ index: t.index, text: piece })
    }
    if (pieces.length === 0) return { action: 'allow' }
    const batches = batch(pieces)
    const answers = await mapLimit(batches, CONCURRENCY, async (b) => {
      const a = await client.post('/moderations', { model: p.model, input: b.map((x) => x.text) }, Answer, gctx.signal)
      if (a.results.length !== b.length) throw new ServiceError('invalid_shape', `${name}: ${a.results.length} moderation results for ${b.length} inputs`)
      return a.results
    }, gctx.signal)
    // per text and category, the highest score of its pieces
    const found = new Map<string, Finding>()
    for (const [bi, b] of batches.entries()) {
      for (const [i, piece] of b.entries()) {
        const r = answers[bi]?.[i] as Result
        for (const [c, score] of hits(r)) {
          const key = `${piece.index}\u0000${c}`
          const prev = found.get(key)
          if (!prev || (prev.score ?? 0) < score) found.set(key, { type: c, index: piece.index, score })
        }
      }
    }
    if (found.size === 0) return { action: 'allow' }
    const findings = [...found.values()]
    const top = new Map<string, number>()
    for (const f of findings) top.set(f.type, Math.max(top.get(f.type) ?? 0, f.score ?? 0))
    const ranked = [...top].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    const reason = `moderation flagged ${ranked.map(([c, s]) => `${c} (${s.toFixed(2)})`).join(', ')}`
    if (p.action === 'flag') return { action: 'flag', reason, findings }
    return { action: 'block', reason, code: 'content_moderation', details: { categories: Object.fromEntries(ranked.map(([c, s]) => [c, round(s)])) }, findings }
  }

  const guardrail: Guardrail = {
    name,
    checkInput: moderate,
    checkOutput: moderate,
    close: () => client.close(),
  }
  return guardrail
}

const round = (n: number): number => Math.round(n * 1000) / 1000

/** Splits `text` into pieces of at most `max` characters, at whitespace when there is some near the cut. */
function split(text: string, max: number): string[] {
  if (text.length <= max) return [text]
  const out: string[] = []
  let rest = text
  while (rest.length > max) {
    let cut = max
    // the cut goes after the whitespace, so the piece stays within max
    const ws = rest.lastIndexOf(' ', max - 1)
    const nl = rest.lastIndexOf('\n', max - 1)
    const at = Math.max(ws, nl)
    if (at > max * 0.8) cut = at + 1
    else if (/[\uD800-\uDBFF]/.test(rest[cut - 1] ?? '')) cut-- // never split a surrogate pair
    out.push(rest.slice(0, cut))
    rest = rest.slice(cut)
  }
  if (rest !== '') out.push(rest)
  return out
}

function batch<T extends { text: string }>(items: T[]): T[][] {
  const out: T[][] = []
  let cur: T[] = []
  let chars = 0
  for (const it of items) {
    if (cur.length > 0 && (cur.length >= MAX_ITEMS || chars + it.text.length > MAX_BATCH_CHARS)) {
      out.push(cur)
      cur = []
      chars = 0
    }
    cur.push(it)
    chars += it.text.length
  }
  if (cur.length > 0) out.push(cur)
  return out
}
