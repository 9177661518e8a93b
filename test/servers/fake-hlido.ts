// A fake Hlido agent-trust API (CONTRACTS.md): a real node:http server on
// 127.0.0.1 answering GET {prefix}/v1/agents/{slug} from a table of agents
// (404 for one it does not know), recording every request's path and headers,
// with an optional delay per answer (to make a cold-slug stampede observable)
// and the failures of service-faults.ts.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { applyFault, type Fault } from './service-faults.ts'

export interface HlidoRequest {
  method: string
  /** the raw request path, as it came over the wire */
  path: string
  headers: IncomingHttpHeaders
}

export type AgentRow = Record<string, unknown>

/** The agents the fake knows, by slug. */
export function defaultAgents(): Map<string, AgentRow> {
  const row = (slug: string, name: string, score: number, tier: string | undefined): AgentRow => ({
    slug,
    name,
    category: 'Voice',
    score,
    ...(tier ? { tier } : {}),
    summary: `${name}: a fake review`,
    evidence_url: `https://hlido.eu/reviews/${slug}/`,
    score_url: `https://hlido.eu/data/scorecards/${slug}.json`,
    last_tested_at: '2026-04-09',
    model_version: 'wave4-v1',
  })
  return new Map([
    ['klariqo', row('klariqo', 'Klariqo', 58, 'FADING')],
    ['try-sanebox', row('try-sanebox', 'SaneBox', 90, 'VITAL')],
    ['steady-one', row('steady-one', 'Steady One', 72, 'STEADY')],
    // no tier field: 75 is STEADY, 35 is FLATLINE
    ['no-tier', row('no-tier', 'No Tier', 75, undefined)],
    ['no-tier-low', row('no-tier-low', 'No Tier Low', 35, undefined)],
  ])
}

export interface FakeHlido {
  /** the api_base to configure (with the prefix, if any) */
  url: string
  requests: HlidoRequest[]
  /** the table; edit it freely */
  agents: Map<string, AgentRow>
  /** delay of every answer, ms */
  delayMs: number
  /** a fault for every request (after `faults` is empty) */
  fault: Fault | undefined
  /** faults for the next requests, in order */
  faults: Fault[]
  /** lookups of `slug` the fake received */
  lookups(slug: string): number
  waitForRequests(n: number): Promise<void>
  close(): Promise<void>
}

export async function startFakeHlido(opts: { prefix?: string } = {}): Promise<FakeHlido> {
  const prefix = (opts.prefix ?? '').replace(/\/+$/, '')
  const sockets = new Set<Socket>()
  const waiters: Array<{ n: number; resolve: () => void }> = []
  const agentPath = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/v1/agents/([^/?#]+)$`)

  const fake: FakeHlido = {
    url: '',
    requests: [],
    agents: defaultAgents(),
    delayMs: 0,
    fault: undefined,
    faults: [],
    lookups: (slug) => fake.requests.filter((r) => r.path === `${prefix}/v1/agents/${encodeURIComponent(slug)}`).length,
    waitForRequests: (n) => (fake.requests.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }

  const server = createServer((req, res) => {
    void (async () => {
      fake.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers })
      for (const w of waiters.filter((w) => fake.requests.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
      for await (const _ of req) {
        // drain
      }
      if (fake.delayMs > 0) await new Promise((r) => setTimeout(r, fake.delayMs))
      if (res.destroyed) return
      if (await applyFault(res, fake.faults.shift() ?? fake.fault)) return
      const m = agentPath.exec(req.url ?? '')
      const row = req.method === 'GET' && m ? fake.agents.get(decodeURIComponent(m[1] as string)) : undefined
      if (!row) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'agent not found' }))
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(row))
    })().catch(() => res.destroy())
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`
  return fake
}
