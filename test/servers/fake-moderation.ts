// A fake OpenAI moderation endpoint (`POST /v1/moderations`): a real HTTP
// server on 127.0.0.1 that records every request and scores each input by
// keyword rules (`hate` → hate 0.9, `kill` → violence 0.7, `harass` →
// harassment 0.4 — below the 0.5 at which the fake sets a category's boolean),
// or fails the ways services fail (service-faults.ts).
import { type RecordedRequest, sendJson, startJsonServer } from './json-server.ts'
import { applyFault, type Fault } from './service-faults.ts'

export interface ModerationRule {
  /** case-insensitive substring of an input */
  word: string
  category: string
  score: number
}

export interface FakeModeration {
  /** base URL ending in /v1, to use as api_base */
  url: string
  requests: RecordedRequest[]
  /** scoring rules; edit freely */
  rules: ModerationRule[]
  /** a category's boolean is true when its score reaches this (default 0.5) */
  flagAt: number
  /** applied to every request until cleared */
  fault: Fault | undefined
  /** faults for the next requests, in order (before `fault`) */
  queue(...f: Fault[]): void
  /** answer one result too few (a service that breaks the 1:1 contract) */
  dropOneResult: boolean
  /** when set, any other Authorization answers 401 */
  requireKey: string | undefined
  close(): Promise<void>
}

export const DEFAULT_RULES: readonly ModerationRule[] = [
  { word: 'hate', category: 'hate', score: 0.9 },
  { word: 'kill', category: 'violence', score: 0.7 },
  { word: 'harass', category: 'harassment', score: 0.4 },
]

// OpenAI's documented categories, written out here rather than imported from
// the guardrail: the fake stands for the service, so a name the guardrail gets
// wrong must not be wrong in the fake too.
export const CATEGORIES = [
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
] as const

export async function startFakeModeration(): Promise<FakeModeration> {
  const pending: Fault[] = []
  const fake: FakeModeration = {
    url: '',
    requests: [],
    rules: [...DEFAULT_RULES],
    flagAt: 0.5,
    fault: undefined,
    queue: (...f) => pending.push(...f),
    dropOneResult: false,
    requireKey: undefined,
    close: () => server.close(),
  }

  const score = (input: string): Record<string, unknown> => {
    const scores: Record<string, number> = Object.fromEntries(CATEGORIES.map((c) => [c, 0.0001]))
    const lower = input.toLowerCase()
    for (const r of fake.rules) if (lower.includes(r.word.toLowerCase())) scores[r.category] = Math.max(scores[r.category] ?? 0, r.score)
    const categories = Object.fromEntries(Object.entries(scores).map(([c, s]) => [c, s >= fake.flagAt]))
    return { flagged: Object.values(categories).some(Boolean), categories, category_scores: scores }
  }

  const server = await startJsonServer(async (req, res) => {
    fake.requests.push({ method: req.method, path: req.url, headers: req.headers, body: req.body })
    if (await applyFault(res, pending.shift() ?? fake.fault)) return
    if (res.destroyed) return
    if (req.method !== 'POST' || req.path !== '/v1/moderations') {
      return sendJson(res, 404, '{"error":{"message":"not found"}}')
    }
    if (fake.requireKey !== undefined && req.headers.authorization !== `Bearer ${fake.requireKey}`) {
      return sendJson(res, 401, '{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}')
    }
    const input = req.body.input
    const inputs = typeof input === 'string' ? [input] : Array.isArray(input) && input.every((i) => typeof i === 'string') ? (input as string[]) : undefined
    if (!inputs || inputs.length === 0) {
      return sendJson(res, 400, '{"error":{"message":"input must be a string or an array of strings"}}')
    }
    const results = inputs.map(score)
    if (fake.dropOneResult) results.pop()
    sendJson(res, 200, { id: `modr-${fake.requests.length}`, model: typeof req.body.model === 'string' ? req.body.model : 'omni-moderation-latest', results })
  })
  fake.url = `${server.url}/v1`
  return fake
}
