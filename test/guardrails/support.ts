// Shared scaffolding of the guardrail integration tests: configs built from
// the fixture guardrails in test/fixtures/guardrails/, the request log line of
// a call, Prometheus samples, raw SSE reads and polling.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type OpenAI from 'openai'
import { apiFailure, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { samplesOf, sumOf, type Sample } from '../helpers/prometheus.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../servers/fake-openai.ts'

export const FIXTURES = fileURLToPath(new URL('../fixtures/guardrails/', import.meta.url))
/** Absolute path of a fixture guardrail module. */
export const fixture = (name: string): string => join(FIXTURES, `${name}.ts`)

export type Mode = 'pre_call' | 'during_call' | 'post_call' | 'logging_only'

/**
 * A `guardrails:` entry: a registered guardrail `type` (`akto`, `presidio`, …),
 * or `guardrail: custom` with `module` = the fixture `fixture`; every other key
 * goes to litellm_params.
 */
export type GuardrailDef = { name: string; mode: Mode | Mode[]; [param: string]: unknown } & ({ type: string; fixture?: never } | { fixture: string; type?: never })

/**
 * A config (JSON is YAML) with model `gpt` on the fake upstream `upstream`
 * (if given) and the built-in `echo` model, no retries, and `guardrails`.
 */
export function config(opts: { upstream?: string; guardrails: GuardrailDef[]; general?: Record<string, unknown> }): string {
  const models: unknown[] = [{ model_name: 'echo', litellm_params: { model: 'echo/echo' } }]
  if (opts.upstream) models.push({ model_name: 'gpt', litellm_params: { model: 'openai/gpt-upstream', api_base: opts.upstream, api_key: 'sk-deployment-secret' } })
  return JSON.stringify(
    {
      model_list: models,
      router_settings: { num_retries: 0 },
      ...(opts.general ? { general_settings: opts.general } : {}),
      guardrails: opts.guardrails.map(({ name, fixture: f, type, ...params }) => ({
        guardrail_name: name,
        litellm_params: { ...(type ? { guardrail: type } : { guardrail: 'custom', module: fixture(f as string) }), ...params },
      })),
    },
    null,
    2,
  )
}

export type ChatBody = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming & { guardrails?: string[] }

/** A chat request for model `gpt` with one user message (and the guardrails it asks for, if any). */
export const chatBody = (content: string, guardrails?: string[]): ChatBody => ({ model: 'gpt', messages: [{ role: 'user', content }], ...(guardrails ? { guardrails } : {}) })

/** One chat call through the SDK, with its response. */
export const ask = (gw: TestGateway, content: string, guardrails?: string[]) => gw.client().chat.completions.create(chatBody(content, guardrails)).withResponse()

/** The message contents of a request the fake upstream received. */
export const contents = (body: Record<string, unknown> | undefined): unknown[] => ((body?.messages ?? []) as Array<{ content: unknown }>).map((m) => m.content)

/** A fake upstream and a gateway on `yaml(fake.url)`, both closed when the test ends. */
export async function setup(t: TestContext, yaml: (upstream: string) => string): Promise<{ fake: FakeOpenAI; gw: TestGateway }> {
  const fake = await startFakeOpenAI({ name: 'fake' })
  let gw: TestGateway
  try {
    gw = await startGateway(yaml(fake.url))
  } catch (err) {
    await fake.close()
    throw err
  }
  t.after(async () => {
    await gw.close()
    await fake.close()
  })
  return { fake, gw }
}

/** Fails with `what` unless `p` settles within 10 s (a generous "it did happen" bound, not a timing assertion). */
export async function within<T>(p: Promise<T>, what: string): Promise<T> {
  const ac = new AbortController()
  const timer = sleep(10_000, undefined, { signal: ac.signal }).then(() => assert.fail(`timed out waiting for ${what}`))
  timer.catch(() => {})
  try {
    return await Promise.race([p, timer])
  } finally {
    ac.abort()
  }
}

/** Polls `get` until `ok` holds (up to ~10 s), then returns its last value. */
export async function eventually<T>(get: () => T, ok: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const v = get()
    if (ok(v)) return v
    await sleep(10)
  }
  return assert.fail(`timed out waiting for ${what}`)
}

export interface RequestLog {
  reqId: string
  status: number
  msg: string
  guardrails?: Array<{ name: string; mode: string; action: string; reason?: string; findings?: number; ms: number }>
  [k: string]: unknown
}

/** The `request` log line of the call with request id `reqId` (waits for it: it is written when the answer ends). */
export async function requestLog(gw: TestGateway, reqId: string | null): Promise<RequestLog> {
  assert.ok(reqId, 'the answer has an x-request-id')
  const find = (): RequestLog | undefined =>
    gw.logs.map((l) => JSON.parse(l) as RequestLog).find((l) => l.msg === 'request' && l.reqId === reqId)
  return (await eventually(find, (l) => l !== undefined, `the request log line of ${reqId}`)) as RequestLog
}

/** The gateway's samples of metric `name` whose labels include `match`. */
export async function samples(gw: TestGateway, name: string, match: Record<string, string> = {}): Promise<Sample[]> {
  return samplesOf(await (await fetch(`${gw.url}/metrics`)).text(), name, match)
}

/** The sum of the matching samples (0 when there are none). */
export async function metric(gw: TestGateway, name: string, match: Record<string, string> = {}): Promise<number> {
  return sumOf(await (await fetch(`${gw.url}/metrics`)).text(), name, match)
}

/** A raw POST of a JSON body to the gateway: status, headers and the whole body text. */
export async function post(gw: TestGateway, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string; json: () => any }> {
  const res = await fetch(gw.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  const text = await res.text()
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) }
}

/** The `data:` payloads of a raw SSE body, in order ([DONE] included). */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((b) => b.trim() !== '')
    .map((b) => {
      assert.match(b, /^data: /, `every event is a data line: ${JSON.stringify(b)}`)
      return b.slice('data: '.length)
    })
}

/** The comma-separated guardrail names of a header, as a list. */
export const namesIn = (value: string | null): string[] => (value ?? '').split(',').filter(Boolean)

/** Asserts no string in `pieces` ends with a non-empty prefix of `word` (case-insensitive) nor contains it. */
export function assertNoLeak(pieces: string[], word: string, what: string): void {
  const w = word.toLowerCase()
  for (const p of pieces) {
    const lp = p.toLowerCase()
    assert.ok(!lp.includes(w), `${what}: a piece contains "${word}": ${JSON.stringify(p)}`)
    for (let n = 1; n < w.length; n++) {
      assert.ok(!lp.endsWith(w.slice(0, n)), `${what}: a piece ends with "${word.slice(0, n)}": ${JSON.stringify(p)}`)
    }
  }
}

/**
 * A guardrail service that cannot answer, seen through two guardrails on it:
 * `closed` (the default, on_error: block) and `open` (on_error: allow, or
 * LiteLLM's unreachable_fallback: fail_open). A call asking for `closed` is a
 * 503 guardrail_unavailable naming it and never reaches the model; one asking
 * for `open` is answered, its decision recorded as unevaluated. Both failures
 * are counted with their `kind`. Returns the gateway and both answers for the
 * caller's own checks (keys kept out of errors and logs, …).
 */
export async function failsClosedThenOpen(t: TestContext, defs: { closed: GuardrailDef; open: GuardrailDef }, content: string, kind: string) {
  assert.equal(defs.closed.name, 'closed')
  assert.equal(defs.open.name, 'open')
  const { fake, gw } = await setup(t, (up) => config({ upstream: up, guardrails: [defs.closed, defs.open] }))
  const closed = await apiFailure(ask(gw, content, ['closed']))
  assert.equal(closed.status, 503)
  assert.equal(closed.code, 'guardrail_unavailable')
  assert.equal((closed.error as { guardrail?: { name?: string } }).guardrail?.name, 'closed')
  assert.equal(fake.requests.length, 0, 'fail closed: the model was not called')
  assert.equal(await metric(gw, 'guardrail_errors_total', { guardrail: 'closed', mode: 'pre_call', kind }), 1)

  const open = await ask(gw, content, ['open'])
  assert.equal(open.response.status, 200)
  assert.equal(open.data.choices[0]?.message.content, `fake: ${content}`)
  const log = await requestLog(gw, open.response.headers.get('x-request-id'))
  assert.deepEqual(log.guardrails?.map((d) => [d.name, d.mode, d.action]), [['open', 'pre_call', 'unevaluated']])
  assert.equal(await metric(gw, 'guardrail_errors_total', { guardrail: 'open', mode: 'pre_call', kind }), 1)
  return { gw, fake, closed, open }
}
