// A fake OpenAI moderation endpoint (`POST /v1/moderations`): a real HTTP
// server on 127.0.0.1 that records every request and scores each input by
// keyword rules (`hate` → hate 0.9, `kill` → violence 0.7, `harass` →
// harassment 0.4 — below the 0.5 at which the fake sets a category's boolean),
// or fails the ways services fail (service-faults.ts).
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { applyFault, type Fault } from './service-faults.ts'

export interface ModerationRule {
  /** case-insensitive substring of an input */
  word: string
  category: string
  score: number
}

export interface ServiceRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: Record<string, unknown>
}

export interface FakeModeration {
  /** base URL ending in /v1, to use as api_base */
  url: string
  requests: ServiceRequest[]
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
  const sockets = new Set<Socket>()
  const fake: FakeModeration = {
    url: '',
    requests: [],
    rules: [...DEFAULT_RULES],
    flagAt: 0.5,
    fault: undefined,
    queue: (...f) => pending.push(...f),
    dropOneResult: false,
    requireKey: undefined,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }

  const score = (input: string): Record<string, unknown> => {
    const scores: Record<string, number> = Object.fromEntries(CATEGORIES.map((c) => [c, 0.0001]))
    const lower = input.toLowerCase()
    for (const r of fake.rules) if (lower.includes(r.word.toLowerCase())) scores[r.category] = Math.max(scores[r.category] ?? 0, r.score)
    const categories = Object.fromEntries(Object.entries(scores).map(([c, s]) => [c, s >= fake.flagAt]))
    return { flagged: Object.values(categories).some(Boolean), categories, category_scores: scores }
  }

  const server = createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (raw += c))
    req.on('end', () => {
      void (async () => {
        let body: Record<string, unknown> = {}
        try {
          body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {}
        } catch {
          res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad json"}}')
          return
        }
        fake.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body })
        if (await applyFault(res, pending.shift() ?? fake.fault)) return
        if (res.destroyed) return
        if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/v1/moderations') {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}')
          return
        }
        if (fake.requireKey !== undefined && req.headers.authorization !== `Bearer ${fake.requireKey}`) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}')
          return
        }
        const input = body.input
        const inputs = typeof input === 'string' ? [input] : Array.isArray(input) && input.every((i) => typeof i === 'string') ? (input as string[]) : undefined
        if (!inputs || inputs.length === 0) {
          res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"input must be a string or an array of strings"}}')
          return
        }
        const results = inputs.map(score)
        if (fake.dropOneResult) results.pop()
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ id: `modr-${fake.requests.length}`, model: typeof body.model === 'string' ? body.model : 'omni-moderation-latest', results }))
      })()
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
  return fake
}
