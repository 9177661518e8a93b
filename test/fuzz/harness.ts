// The fuzz target and its property. The target is a real gateway (embedded
// PGlite, records with prompts, a master key and virtual keys, the built-in
// guardrails) in front of the echo model, a healthy fake upstream and one that
// is not there. The property, for every request:
//   - an answer arrives (no stall, no dropped connection) and the gateway still
//     answers its liveness check afterwards (no crash);
//   - no 5xx, except 502/504 for the model whose upstream is not there;
//   - an error is OpenAI's JSON shape, and its message holds no secret and no
//     runtime or database text; a stream ends with [DONE] or an error event;
//   - a call answered on a recorded route gets its own record id;
// and, after a run: every such call reaches the database (no record lost), the
// journal drains (not stuck), and nothing was set aside as a dead letter.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent, request } from 'undici'
import type { TestGateway } from '../helpers/gateway.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../servers/fake-openai.ts'
import { call, dataDir, dbOf, generateKey, removeDir, storageOf, storeGateway } from '../store/support.ts'
import { GUARDRAILS, type FuzzRequest } from './routes.ts'

export const MASTER = 'sk-master-key-for-store-tests' // support.ts's
export const DEPLOYMENT_KEY = 'sk-deployment-secret-fuzz-gpt'
const CORPUS = new URL('./corpus/', import.meta.url).pathname

/** Routes whose answers are call records, without the /v1 prefix. */
const RECORDED_PATHS = new Set(['/chat/completions', '/completions', '/embeddings'])

/** A gateway to send fuzzed requests to (the soak's is another process). */
export interface Endpoint {
  url: string
  /** a virtual key with no limits */
  key: string
  /** a key the fuzzed admin calls may change or delete */
  victim: { key: string; hash: string }
  /** what must never appear in an answer */
  secrets: string[]
  agent: Agent
}

export interface Target extends Endpoint {
  gw: TestGateway
  fake: FakeOpenAI
  close(): Promise<void>
}

/** The target's config (also the soak's): echo, a fake upstream at `fakeUrl`, an unreachable one; records with prompts; the built-in guardrails. */
export function targetConfig(fakeUrl: string): Record<string, unknown> {
  return {
    model_list: [
      { model_name: 'echo', litellm_params: { model: 'echo/echo' } },
      { model_name: 'gpt', litellm_params: { model: 'openai/gpt-upstream', api_base: fakeUrl, api_key: DEPLOYMENT_KEY, input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 } },
      // port 1: nothing listens there
      { model_name: 'down', litellm_params: { model: 'openai/down', api_base: 'http://127.0.0.1:1/v1', api_key: DEPLOYMENT_KEY, timeout: 2 } },
    ],
    router_settings: { num_retries: 0 },
    general_settings: { master_key: MASTER, store_prompts: true },
    guardrails: [
      { guardrail_name: GUARDRAILS[0], litellm_params: { guardrail: 'content_filter', mode: ['pre_call', 'post_call'], default_on: true } },
      { guardrail_name: GUARDRAILS[1], litellm_params: { guardrail: 'prompt_injection', mode: 'pre_call' } },
      { guardrail_name: GUARDRAILS[2], litellm_params: { guardrail: 'limits', mode: 'pre_call', max_input_chars: 100_000, max_tokens: 64 } },
    ],
  }
}

export async function startTarget(): Promise<Target> {
  const fake = await startFakeOpenAI({ name: 'fake' })
  const dir = await dataDir()
  const config = targetConfig(fake.url)
  const gw = await storeGateway(JSON.stringify(config), dir)
  const key = (await generateKey(gw.url, { key_alias: 'fuzz' })).key
  const victim = await generateKey(gw.url, { key_alias: 'victim' })
  const agent = new Agent({ connections: 4, headersTimeout: 30_000, bodyTimeout: 30_000 })
  return {
    url: gw.url,
    gw,
    fake,
    key,
    victim: { key: victim.key, hash: victim.token },
    secrets: [MASTER, DEPLOYMENT_KEY, key, victim.key],
    agent,
    async close() {
      await agent.close()
      await gw.close()
      await fake.close()
      removeDir(dir)
    },
  }
}

export interface Answer {
  status: number
  headers: Record<string, string>
  text: string
}

/** Sends `r` as it is on the wire. */
export async function send(t: Endpoint, r: FuzzRequest): Promise<Answer> {
  const headers: Record<string, string> = { ...r.headers }
  if (r.auth === 'master') headers.authorization = `Bearer ${MASTER}`
  else if (r.auth === 'key') headers.authorization = `Bearer ${t.key}`
  else if (r.auth !== 'none') headers.authorization = r.auth.header
  const body = r.bodyBase64 !== undefined ? Buffer.from(r.bodyBase64, 'base64') : r.body !== undefined ? r.body.replaceAll('$VICTIM_HASH', t.victim.hash).replaceAll('$VICTIM', t.victim.key) : undefined
  const res = await request(t.url + r.path, { method: r.method as 'GET', headers, ...(body !== undefined ? { body } : {}), dispatcher: t.agent })
  const text = await res.body.text()
  const flat: Record<string, string> = {}
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v
  return { status: res.statusCode, headers: flat, text }
}

// What a client must never read in an error: our stack, the runtime's words, the database's.
const INTERNAL = /Maximum call stack|invalid input syntax|unsupported Unicode|violates .* constraint|out of range for type|syntax error at|relation "|column "|TypeError|RangeError|ReferenceError|Cannot read properties|is not a function|node:internal|\.ts:\d+|\bat [\w.<>]+ \(/

/** The model a request asked for, when its body says. */
function modelOf(r: FuzzRequest): unknown {
  try {
    return (JSON.parse(r.body ?? '') as { model?: unknown }).model
  } catch {
    return undefined
  }
}

/** What is wrong with answer `a` to request `r` (nothing: []). */
export function faults(t: Endpoint, r: FuzzRequest, a: Answer): string[] {
  const out: string[] = []
  const unreachable = modelOf(r) === 'down' && (a.status === 502 || a.status === 504)
  if (a.status >= 500 && !unreachable) out.push(`answered ${a.status}: ${a.text.slice(0, 300)}`)
  for (const s of t.secrets) if (a.text.includes(s) || Object.values(a.headers).some((v) => v.includes(s))) out.push('a secret is in the answer')
  const type = a.headers['content-type'] ?? ''
  if (a.status >= 400) {
    const e = parsed(a.text) as { error?: { message?: unknown; type?: unknown } } | undefined
    if (typeof e?.error?.message !== 'string' || typeof e.error.type !== 'string') out.push(`a ${a.status} not in the OpenAI error shape: ${JSON.stringify(a.text.slice(0, 200))}`)
    else if (INTERNAL.test(e.error.message)) out.push(`a ${a.status} whose message leaks internal text: ${e.error.message.slice(0, 300)}`)
  } else if (type.startsWith('text/event-stream')) {
    const last = a.text.trimEnd().split('\n\n').at(-1) ?? ''
    if (last !== 'data: [DONE]' && !/^data: \{"error":/.test(last)) out.push(`a stream that ends with neither [DONE] nor an error: ${last.slice(0, 200)}`)
    const err = /^data: (\{"error":.*)$/.exec(last)?.[1]
    if (err && INTERNAL.test(err)) out.push(`a stream error that leaks internal text: ${err.slice(0, 300)}`)
  } else if (type.startsWith('application/json') && parsed(a.text) === undefined) out.push('a JSON answer that does not parse')
  return out
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The calls answered on recorded routes, by the record id the gateway gave them. */
export class Ledger {
  readonly calls = new Map<string, { request: FuzzRequest; status: number }>()

  /** Notes `a` if it should leave a record; a record id given twice is a fault. */
  note(r: FuzzRequest, a: Answer): string[] {
    const path = r.path.split('?')[0]?.replace(/^\/v1/, '') ?? ''
    if (r.method !== 'POST' || !RECORDED_PATHS.has(path) || a.status === 401 || a.status === 431 || a.text.includes('"records_backlog"')) return []
    const id = a.headers['x-request-id']
    if (!id) return ['a recorded call answered without an x-request-id']
    if (this.calls.has(id)) return [`two answered calls share the record id ${JSON.stringify(id)}: one of their records is lost`]
    this.calls.set(id, { request: r, status: a.status })
    return []
  }
}

/** The run's end: the journal drains, every noted call is in the database, no dead letters. Returns the faults, with the requests concerned. */
export async function recordFaults(t: Target, ledger: Ledger): Promise<{ fault: string; requests: FuzzRequest[] }[]> {
  const storage = storageOf(t.gw)
  for (let i = 0; i < 2000 && storage.journal.size.records > 0; i++) await sleep(10)
  const out: { fault: string; requests: FuzzRequest[] }[] = []
  if (storage.journal.size.records > 0) out.push({ fault: `the journal is stuck with ${storage.journal.size.records} record(s) after 20 s`, requests: [] })
  if (existsSync(storage.deadLetterFile)) out.push({ fault: `records were set aside as dead letters: ${readFileSync(storage.deadLetterFile, 'utf8').slice(0, 500)}`, requests: [] })
  const ids = [...ledger.calls.keys()]
  const db = await dbOf(t.gw)
  const found = new Set((await db.query<{ request_id: string }>('select request_id from requests where request_id = any($1::text[])', [ids])).map((r) => r.request_id))
  const missing = ids.filter((id) => !found.has(id))
  if (missing.length > 0) out.push({ fault: `${missing.length} answered call(s) have no record`, requests: missing.slice(0, 3).map((id) => (ledger.calls.get(id) as { request: FuzzRequest }).request) })
  return out
}

/** The gateway still answers (after each case: a crash or a wedged event loop shows here). */
export async function alive(t: Target): Promise<string[]> {
  try {
    const r = await call(t.gw.url, 'GET', '/health/liveliness', undefined, null)
    return r.status === 200 ? [] : [`liveness answered ${r.status}`]
  } catch (err) {
    return [`liveness check failed: ${(err as Error).message}`]
  }
}

export interface CorpusCase {
  route: string
  /** the fault it found */
  found: string
  request: FuzzRequest
}

/** Every saved case, in file order. */
export function corpus(): { file: string; c: CorpusCase }[] {
  if (!existsSync(CORPUS)) return []
  return readdirSync(CORPUS)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, c: JSON.parse(readFileSync(join(CORPUS, file), 'utf8')) as CorpusCase }))
}

/** Keeps a failing input for good: it is replayed by every later run. Returns its file. */
export function save(route: string, found: string, req: FuzzRequest): string {
  mkdirSync(CORPUS, { recursive: true })
  const name = `${route}-${createHash('sha256').update(JSON.stringify(req)).digest('hex').slice(0, 12)}.json`
  const file = join(CORPUS, name)
  if (!existsSync(file)) writeFileSync(file, JSON.stringify({ route, found, request: req } satisfies CorpusCase, null, 1) + '\n')
  return file
}
