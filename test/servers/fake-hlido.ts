// A fake Hlido agent-trust API (CONTRACTS.md): a real node:http server on
// 127.0.0.1 answering GET {prefix}/v1/agents/{slug} from a table of agents
// (404 for one it does not know), recording every request's path and headers,
// with an optional delay per answer (to make a cold-slug stampede observable)
// and the failures of service-faults.ts.
import type { IncomingHttpHeaders } from 'node:http'
import { recorder, sendJson, startJsonServer } from './json-server.ts'
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
  const log = recorder<HlidoRequest>()
  const agentPath = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/v1/agents/([^/?#]+)$`)

  const fake: FakeHlido = {
    url: '',
    requests: log.requests,
    agents: defaultAgents(),
    delayMs: 0,
    fault: undefined,
    faults: [],
    lookups: (slug) => fake.requests.filter((r) => r.path === `${prefix}/v1/agents/${encodeURIComponent(slug)}`).length,
    waitForRequests: log.waitFor,
    close: () => server.close(),
  }

  const server = await startJsonServer(async (req, res) => {
    log.record({ method: req.method, path: req.url, headers: req.headers })
    if (fake.delayMs > 0) await new Promise((r) => setTimeout(r, fake.delayMs))
    if (res.destroyed) return
    if (await applyFault(res, fake.faults.shift() ?? fake.fault)) return
    const m = agentPath.exec(req.url)
    const row = req.method === 'GET' && m ? fake.agents.get(decodeURIComponent(m[1] as string)) : undefined
    if (!row) return sendJson(res, 404, { detail: 'agent not found' })
    sendJson(res, 200, row)
  })
  fake.url = `${server.url}${prefix}`
  return fake
}
