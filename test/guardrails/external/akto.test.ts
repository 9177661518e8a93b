// The `akto` guardrail against a fake Akto guardrails service, through a real
// gateway read with the official SDK: the exact payloads of Akto's LiteLLM
// hook, blocking with the service's reason, ModifiedPayload rewrites in both
// key casings, the answer check, the async (logging_only) variant, and every
// way the service can fail — closed by default, open with on_error: allow,
// each with its error kind in /metrics — plus the circuit breaker, the
// api_base check at start and the API key kept out of logs and error bodies.
import { describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, parseConfig, type ConfigIssue } from '../../../src/config/load.ts'
import { buildGuardrails } from '../../../src/guardrails/build.ts'
import { createAkto, mapModifiedPayload, readAnswer, requestPayload } from '../../../src/guardrails/external/akto.ts'
import { ServiceError } from '../../../src/guardrails/external/service.ts'
import { ParamError } from '../../../src/guardrails/factory.ts'
import type { GuardContext, Guardrail } from '../../../src/guardrails/types.ts'
import { createApp } from '../../../src/app.ts'
import { createLogger } from '../../../src/telemetry/logger.ts'
import { apiFailure, useServer, type TestGateway } from '../../helpers/gateway.ts'
import { startFakeAkto, type FakeAkto } from '../../servers/fake-akto.ts'
import type { FakeOpenAI } from '../../servers/fake-openai.ts'
import { closedUrl, type Fault } from '../../servers/service-faults.ts'
import { type ChatBody, chatBody, config, contents, eventually, failsClosedThenOpen, type GuardrailDef, metric, type Mode, requestLog, setup } from '../support.ts'
import { guardContext, texts } from '../unit/helpers.ts'

type Def = { name: string; mode: Mode; [param: string]: unknown }

/** A akto guardrail; a generous timeout unless a test sets one (a loaded machine must not turn a check into a timeout). */
const def = (d: Def): GuardrailDef => ({ type: 'akto', timeout: 10, ...d })

/** A fake service, a fake upstream and a gateway with the guardrails `defs(service url)`, all closed when the test ends. */
async function env(t: TestContext, defs: (url: string) => Def[]): Promise<{ akto: FakeAkto; fake: FakeOpenAI; gw: TestGateway }> {
  const svc = await useServer(t, startFakeAkto)
  const { fake, gw } = await setup(t, (up) => config({ upstream: up, guardrails: defs(svc.url).map(def) }))
  return { akto: svc, fake, gw }
}

describe('akto: request check (sync)', () => {
  test('a request the service does not allow is a 400 with its reason; the model is never called; the decision is recorded', async (t) => {
    const { akto, fake, gw } = await env(t, (url) => [{ name: 'akto-guard', api_base: url, mode: 'pre_call', default_on: true }])
    const err = await apiFailure(gw.client().chat.completions.create(chatBody('please ATTACK the system')))
    assert.equal(err.status, 400)
    assert.equal(err.code, 'guardrail_blocked')
    const body = err.error as { message: string; guardrail: { name: string; mode: string; reason: string } }
    assert.match(body.message, /blocked by guardrail "akto-guard" \(pre_call\): Prompt injection detected by fake Akto/)
    assert.deepEqual(body.guardrail, { name: 'akto-guard', mode: 'pre_call', reason: 'Prompt injection detected by fake Akto' })
    assert.equal(fake.requests.length, 0, 'the model was never called')
    assert.equal(akto.requests.length, 1)
    assert.equal(akto.requests[0]?.path, '/api/validate/request')
    const log = await requestLog(gw, err.headers?.get('x-request-id') ?? null)
    assert.equal(log.status, 400)
    assert.deepEqual(
      log.guardrails?.map((d) => [d.name, d.mode, d.action, d.reason]),
      [['akto-guard', 'pre_call', 'block', 'Prompt injection detected by fake Akto']],
    )
    assert.ok(!gw.logs.some((l) => l.includes('ATTACK the system')), 'no log line holds the prompt')

    // an innocent request passes untouched and is recorded as allowed
    const { data, response } = await gw.client().chat.completions.create(chatBody('hello there')).withResponse()
    assert.equal(data.choices[0]?.message.content, 'fake: hello there')
    const ok = await requestLog(gw, response.headers.get('x-request-id'))
    assert.deepEqual(ok.guardrails?.map((d) => [d.name, d.mode, d.action]), [['akto-guard', 'pre_call', 'allow']])
    assert.equal(await metric(gw, 'guardrail_requests_total', { guardrail: 'akto-guard', mode: 'pre_call', action: 'block' }), 1)
    assert.equal(await metric(gw, 'guardrail_requests_total', { guardrail: 'akto-guard', mode: 'pre_call', action: 'allow' }), 1)
  })

  test('the exact payload: {payload: JSON of {query, model}, call_type}; the query joins every text of the call with "\\n"', async (t) => {
    const { akto, gw } = await env(t, (url) => [
      { name: 'akto-guard', api_base: url, mode: 'pre_call', default_on: true },
      { name: 'akto-ct', api_base: url, mode: 'pre_call', call_type: 'acompletion' },
    ])
    await gw.client().chat.completions.create({
      model: 'gpt',
      messages: [
        { role: 'system', content: 'You are terse.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'first part' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            { type: 'text', text: 'second part' },
          ],
        },
        { role: 'assistant', content: 'let me look', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'tool output' },
        { role: 'user', content: 'last question' },
      ],
    })
    const r = akto.requests[0]
    assert.ok(r)
    assert.equal(r.path, '/api/validate/request')
    assert.deepEqual(Object.keys(r.body).sort(), ['call_type', 'payload'])
    assert.equal(typeof r.body.payload, 'string', 'payload is a JSON string, as the original hook sent it')
    assert.deepEqual(JSON.parse(r.body.payload as string), {
      query: 'You are terse.\nfirst part\nsecond part\nlet me look\n{"q":"x"}\ntool output\nlast question',
      model: 'gpt',
    })
    assert.equal(r.body.call_type, 'completion')
    assert.match(String(r.headers['content-type']), /application\/json/)

    await gw.client().completions.create({ model: 'gpt', prompt: 'complete this' })
    assert.deepEqual(akto.requests[1]?.body, { payload: JSON.stringify({ query: 'complete this', model: 'gpt' }), call_type: 'text_completion' })
    await gw.client().embeddings.create({ model: 'gpt', input: ['alpha', 'beta'] })
    assert.deepEqual(akto.requests[2]?.body, { payload: JSON.stringify({ query: 'alpha\nbeta', model: 'gpt' }), call_type: 'embeddings' })

    // `call_type` overrides the name sent
    await gw.client().chat.completions.create(chatBody('hi', ['akto-ct']))
    assert.deepEqual(akto.requests.slice(3).map((q) => q.body.call_type).sort(), ['acompletion', 'completion'])
  })

  for (const casing of ['pascal', 'camel'] as const) {
    for (const form of ['query', 'json'] as const) {
      test(`ModifiedPayload (${casing} keys, ${form} form) is what the model sees, mapped back onto each text`, async (t) => {
        const { akto, fake, gw } = await env(t, (url) => [{ name: 'akto-guard', api_base: url, mode: 'pre_call', default_on: true }])
        akto.casing = casing
        akto.modifiedForm = form
        // several texts, one of them on several lines
        const { data, response } = await gw
          .client()
          .chat.completions.create({
            model: 'gpt',
            messages: [
              { role: 'system', content: 'keep secret-token safe' },
              { role: 'user', content: 'line one\nmy secret-token\nline three' },
            ],
          })
          .withResponse()
        assert.deepEqual(contents(fake.requests[0]!.body), ['keep [MASKED] safe', 'line one\nmy [MASKED]\nline three'])
        assert.equal(data.choices[0]?.message.content, 'fake: line one\nmy [MASKED]\nline three')
        const log = await requestLog(gw, response.headers.get('x-request-id'))
        assert.deepEqual(log.guardrails?.map((d) => [d.name, d.action, d.reason, d.findings]), [['akto-guard', 'rewrite', 'modified by Akto: Sensitive data redacted', 2]])

        // one text takes the whole payload
        await gw.client().chat.completions.create(chatBody('only secret-token here'))
        assert.deepEqual(contents(fake.requests[1]!.body), ['only [MASKED] here'])

        // a block reads the same casing
        const err = await apiFailure(gw.client().chat.completions.create(chatBody('ATTACK')))
        assert.equal(err.status, 400)
        assert.match((err.error as { message: string }).message, /Prompt injection detected by fake Akto/)
        assert.equal(fake.requests.length, 2)
      })
    }
  }

  test('a ModifiedPayload that cannot be mapped back fails closed (503, invalid_shape) — or open, recorded unevaluated, with on_error: allow', async (t) => {
    const { akto, fake, gw } = await env(t, (url) => [
      { name: 'closed', api_base: url, mode: 'pre_call' },
      { name: 'open', api_base: url, mode: 'pre_call', on_error: 'allow' },
    ])
    // the service folds the lines: 1 line back for the 2 texts sent
    akto.modify = (text) => text.replaceAll('secret-token', '[MASKED]').replaceAll('\n', ' ')
    const messages = [
      { role: 'system' as const, content: 'be brief' },
      { role: 'user' as const, content: 'my secret-token' },
    ]
    const err = await apiFailure(gw.client().chat.completions.create({ model: 'gpt', messages, guardrails: ['closed'] } as ChatBody))
    assert.equal(err.status, 503)
    assert.equal(err.code, 'guardrail_unavailable')
    assert.match((err.error as { message: string }).message, /ModifiedPayload has 1 line\(s\) where the 2 texts sent had 2/)
    assert.equal(fake.requests.length, 0, 'nothing reached the model')
    assert.equal(await metric(gw, 'guardrail_errors_total', { guardrail: 'closed', mode: 'pre_call', kind: 'invalid_shape' }), 1)

    const { response } = await gw.client().chat.completions.create({ model: 'gpt', messages, guardrails: ['open'] } as ChatBody).withResponse()
    assert.equal(response.status, 200)
    const log = await requestLog(gw, response.headers.get('x-request-id'))
    assert.deepEqual(log.guardrails?.map((d) => [d.name, d.action]), [['open', 'unevaluated']])
    assert.equal(await metric(gw, 'guardrail_errors_total', { guardrail: 'open', mode: 'pre_call', kind: 'invalid_shape' }), 1)
  })

  test('an answer without Allowed/allowed is an invalid shape, never an allow (the original hook defaulted to True)', async (t) => {
    const { akto, fake, gw } = await env(t, (url) => [{ name: 'akto-guard', api_base: url, mode: 'pre_call', default_on: true }])
    akto.fault = { kind: 'status', status: 200, body: JSON.stringify({ Reason: 'looks fine', Modified: false }) }
    const err = await apiFailure(gw.client().chat.completions.create(chatBody('hello')))
    assert.equal(err.status, 503)
    assert.match((err.error as { message: string }).message, /neither Allowed nor allowed/)
    assert.equal(fake.requests.length, 0)
    assert.equal(await metric(gw, 'guardrail_errors_total', { guardrail: 'akto-guard', mode: 'pre_call', kind: 'invalid_shape' }), 1)
  })

  test('during_call blocks beside the upstream call with the service reason', async (t) => {
    const { akto, gw } = await env(t, (url) => [{ name: 'akto-guard', api_base: url, mode: 'during_call', default_on: true }])
    const err = await apiFailure(gw.client().chat.completions.create(chatBody('ATTACK now')))
    assert.equal(err.status, 400)
    assert.deepEqual((err.error as { guardrail: unknown }).guardrail, { name: 'akto-guard', mode: 'during_call', reason: 'Prompt injection detected by fake Akto' })
    assert.equal(akto.requests[0]?.path, '/api/validate/request')
  })
})

describe('akto: response check (post_call)', () => {
  test('the answer is checked with {payload: <answer text>}: a block names the reason, a modification reaches the client', async (t) => {
    const { akto, fake, gw } = await env(t, (url) => [{ name: 'akto-out', api_base: url, mode: 'post_call', default_on: true }])
    const err = await apiFailure(gw.client().chat.completions.create(chatBody('say ATTACK')))
    assert.equal(err.status, 400)
    assert.deepEqual((err.error as { guardrail: unknown }).guardrail, { name: 'akto-out', mode: 'post_call', reason: 'Prompt injection detected by fake Akto' })
    assert.equal(fake.requests.length, 1, 'the model answered; its answer was blocked')
    assert.equal(akto.requests.length, 1)
    assert.equal(akto.requests[0]?.path, '/api/validate/response')
    assert.deepEqual(akto.requests[0]?.body, { payload: 'fake: say ATTACK' })

    const r = await gw.client().chat.completions.create(chatBody('repeat secret-token'))
    assert.equal(r.choices[0]?.message.content, 'fake: repeat [MASKED]')
    assert.deepEqual(akto.requests[1]?.body, { payload: 'fake: repeat secret-token' })
  })

  test('a streamed answer is checked before the client sees it: modified text streams masked, a refusal blocks before the first byte', async (t) => {
    const { akto, fake, gw } = await env(t, (url) => [{ name: 'akto-out', api_base: url, mode: 'post_call', default_on: true }])
    fake.queue({ kind: 'stream', chunks: ['your ', 'secret-', 'token ', 'is safe'] })
    const stream = await gw.client().chat.completions.create({ ...chatBody('go'), stream: true })
    let text = ''
    for await (const c of stream) text += c.choices[0]?.delta.content ?? ''
    assert.equal(text, 'your [MASKED] is safe')
    assert.ok(akto.requests.every((r) => r.path === '/api/validate/response'))

    fake.queue({ kind: 'stream', chunks: ['an ', 'ATT', 'ACK ', 'plan'] })
    const err = await apiFailure(gw.client().chat.completions.create({ ...chatBody('go'), stream: true }))
    assert.equal(err.status, 400)
    assert.equal(err.code, 'guardrail_blocked')
  })
})

describe('akto: async (logging_only)', () => {
  test('answers 200 without waiting, while the service still gets every check and the results are recorded', async (t) => {
    const { akto, gw } = await env(t, (url) => [{ name: 'akto-async', api_base: url, mode: 'logging_only', default_on: true }])
    akto.fault = { kind: 'slow', ms: 1500 }
    const started = Date.now()
    const { data, response } = await gw.client().chat.completions.create(chatBody('ATTACK quietly')).withResponse()
    const took = Date.now() - started
    assert.equal(response.status, 200)
    assert.equal(data.choices[0]?.message.content, 'fake: ATTACK quietly')
    assert.ok(took < 1500, `the answer did not wait for the service (${took} ms)`)
    assert.deepEqual(response.headers.get('x-portcullis-applied-guardrails'), 'akto-async')
    await eventually(() => akto.requests.length, (n) => n === 2, 'both checks to reach the service')
    assert.deepEqual(akto.requests.map((r) => r.path), ['/api/validate/request', '/api/validate/response'])
    assert.deepEqual(JSON.parse(akto.requests[0]?.body.payload as string), { query: 'ATTACK quietly', model: 'gpt' })
    assert.deepEqual(akto.requests[1]?.body, { payload: 'fake: ATTACK quietly' })
    // both were not allowed: recorded as blocks of mode logging_only, nothing was blocked
    for (let i = 0; i < 300 && (await metric(gw, 'guardrail_requests_total', { guardrail: 'akto-async', mode: 'logging_only' })) < 2; i++) {
      await new Promise((r) => setTimeout(r, 20))
    }
    assert.equal(await metric(gw, 'guardrail_requests_total', { guardrail: 'akto-async', mode: 'logging_only', action: 'block' }), 2)
    assert.ok(gw.logs.some((l) => l.includes('"guardrail decision"') && l.includes('akto-async')), 'the decisions have their own log lines')
  })
})

describe('akto: the service failing', () => {
  const faults: Array<[string, Fault | 'down', string, Record<string, unknown>]> = [
    ['is down', 'down', 'connect', {}],
    ['is slower than the timeout', { kind: 'slow', ms: 2000 }, 'timeout', { timeout: 0.3 }],
    ['answers an HTML page', { kind: 'html' }, 'content_type', {}],
    ['answers 500', { kind: 'status', status: 500 }, 'http_status', {}],
    ['answers truncated JSON', { kind: 'truncated' }, 'invalid_json', {}],
    ['answers the wrong content type', { kind: 'wrong_type' }, 'content_type', {}],
  ]
  for (const [what, fault, kind, extra] of faults) {
    test(`a service that ${what} fails closed (503 guardrail_unavailable), or open with on_error: allow (200, unevaluated); kind ${kind}`, async (t) => {
      const akto = await useServer(t, startFakeAkto)
      const base = fault === 'down' ? await closedUrl() : akto.url
      if (fault !== 'down') akto.fault = fault
      const key = { api_base: base, mode: 'pre_call', api_key: 'sk-akto-secret-4242', ...extra } as const
      // a slow service is cut at the guardrail's timeout: its failure is counted as kind timeout
      const { gw, closed } = await failsClosedThenOpen(t, { closed: def({ name: 'closed', ...key }), open: def({ name: 'open', on_error: 'allow', ...key }) }, 'hello', kind)
      const closedLog = await requestLog(gw, closed.headers?.get('x-request-id') ?? null)
      assert.deepEqual(closedLog.guardrails?.map((d) => [d.name, d.action]), [['closed', 'block']])
      assert.equal(await metric(gw, 'guardrail_requests_total', { guardrail: 'open', mode: 'pre_call', action: 'unevaluated' }), 1)
      for (const text of [JSON.stringify(closed.error), ...gw.logs]) assert.ok(!text.includes('sk-akto-secret-4242'), 'the API key never shows')
    })
  }

  test('the circuit breaker: after 5 consecutive failures calls fail at once without reaching the service', async (t) => {
    const { akto, fake, gw } = await env(t, (url) => [{ name: 'akto-guard', api_base: url, mode: 'pre_call', default_on: true }])
    akto.fault = { kind: 'status', status: 500 }
    for (let i = 0; i < 5; i++) {
      const err = await apiFailure(gw.client().chat.completions.create(chatBody(`try ${i}`)))
      assert.equal(err.status, 503)
    }
    assert.equal(akto.requests.length, 5)
    for (let i = 0; i < 3; i++) {
      const err = await apiFailure(gw.client().chat.completions.create(chatBody('again')))
      assert.equal(err.status, 503)
      assert.match((err.error as { message: string }).message, /circuit open/)
    }
    assert.equal(akto.requests.length, 5, 'the open circuit kept calls away from the service')
    assert.equal(fake.requests.length, 0)
    assert.equal(await metric(gw, 'guardrail_errors_total', { guardrail: 'akto-guard', mode: 'pre_call', kind: 'http_status' }), 5)
    assert.equal(await metric(gw, 'guardrail_errors_total', { guardrail: 'akto-guard', mode: 'pre_call', kind: 'circuit_open' }), 3)
  })

  test('with on_error: allow an open circuit makes calls fast instead of waiting out the timeout each time', async (t) => {
    const { akto, gw } = await env(t, (url) => [{ name: 'akto-open', api_base: url, mode: 'pre_call', default_on: true, on_error: 'allow', timeout: 1 }])
    akto.fault = { kind: 'slow', ms: 5000 }
    for (let i = 0; i < 5; i++) {
      const started = Date.now()
      const r = await gw.client().chat.completions.create(chatBody(`try ${i}`))
      assert.equal(r.choices[0]?.message.content, `fake: try ${i}`)
      assert.ok(Date.now() - started >= 900, 'a slow service costs its timeout')
    }
    // the fifth failure may be recorded by the breaker a moment after the engine gave up
    await eventually(() => akto.requests.length, (n) => n === 5, 'five requests')
    await new Promise((r) => setTimeout(r, 50))
    const started = Date.now()
    const r = await gw.client().chat.completions.create(chatBody('fast now'))
    const took = Date.now() - started
    assert.equal(r.choices[0]?.message.content, 'fake: fast now')
    assert.ok(took < 500, `an open circuit answers at once, not after the 1 s timeout (${took} ms)`)
    assert.equal(akto.requests.length, 5)
    assert.equal(await metric(gw, 'guardrail_errors_total', { guardrail: 'akto-open', mode: 'pre_call', kind: 'circuit_open' }), 1)
  })
})

describe('akto: configuration and secrets', () => {
  const quiet = () => createLogger({ level: 'silent' })
  const cfg = (apiBase: unknown, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({
      model_list: [{ model_name: 'echo', litellm_params: { model: 'echo/echo' } }],
      guardrails: [{ guardrail_name: 'akto-guard', litellm_params: { guardrail: 'akto', mode: 'pre_call', api_base: apiBase, ...extra } }],
    })

  const startFails = async (text: string): Promise<ConfigError> => {
    const { config, lineOf } = parseConfig(text, '/tmp/akto-test.yaml', {})
    try {
      const server = await createApp(config, { logger: quiet(), lineOf, storage: false })
      await server.shutdown(100)
    } catch (err) {
      assert.ok(err instanceof ConfigError, `a ConfigError, not ${String(err)}`)
      return err
    }
    return assert.fail('the start should have failed')
  }

  for (const [what, base, message] of [
    ['ftp://', 'ftp://guard.example.com', /api_base must be http or https, not ftp:/],
    ['a missing api_base', undefined, /api_base is required/],
    ['credentials in the URL', 'https://user:pw@guard.example.com', /api_base must not carry credentials/],
    ['not a URL', 'guard.example.com', /api_base is not a URL/],
  ] as const) {
    test(`${what} stops the start with a config error naming api_base`, async () => {
      const err = await startFails(cfg(base))
      assert.equal(err.issues.length, 1)
      assert.match(err.issues[0]?.message ?? '', message)
      assert.equal(err.issues[0]?.path, 'guardrails[0].litellm_params.api_base')
    })
  }

  test('plain http to a non-loopback host is allowed with a warning; https and loopback are not warned about', async () => {
    const warnings: Array<[string, string]> = []
    const made: Guardrail[] = []
    const make = async (apiBase: string) => {
      made.push(await createAkto({ api_base: apiBase }, { name: 'a', configDir: '/', warn: (k, m) => warnings.push([k, m]) }))
    }
    try {
      await make('http://10.20.30.40:8080')
      assert.equal(warnings.length, 1)
      assert.equal(warnings[0]?.[0], 'api_base')
      assert.match(warnings[0]?.[1] ?? '', /plain http to a non-loopback host/)
      await make('https://guard.example.com')
      await make('http://127.0.0.1:9')
      await make('http://localhost:9/')
      assert.equal(warnings.length, 1)
    } finally {
      await Promise.all(made.map((g) => g.close?.()))
    }
  })

  test('buildGuardrails reports the plain-http warning with its YAML path', async () => {
    const { config, lineOf } = parseConfig(cfg('http://10.20.30.40:8080'), '/tmp/akto-test.yaml', {})
    const warnings: ConfigIssue[] = []
    const specs = await buildGuardrails(config, lineOf, warnings)
    try {
      assert.equal(warnings.length, 1)
      assert.equal(warnings[0]?.path, 'guardrails[0].litellm_params.api_base')
      assert.match(warnings[0]?.message ?? '', /plain http to a non-loopback host/)
    } finally {
      await Promise.all(specs.map((s) => s.guardrail.close?.()))
    }
  })

  test('bad params are errors naming the key', async () => {
    await assert.rejects(async () => createAkto({ api_base: 'https://x.example', timeout: -1 }, { name: 'a', configDir: '/' }), (e: unknown) => e instanceof ParamError && e.key === 'timeout')
    await assert.rejects(async () => createAkto({ api_base: 'https://x.example', api_key: '' }, { name: 'a', configDir: '/' }), (e: unknown) => e instanceof ParamError && e.key === 'api_key')
    await assert.rejects(async () => createAkto({ api_base: 'ftp://x.example' }, { name: 'a', configDir: '/' }), (e: unknown) => e instanceof ParamError && e.key === 'api_base')
  })

  test('the API key is sent as a Bearer token, and never appears in logs or error bodies (even when the service echoes it)', async (t) => {
    const key = 'sk-akto-very-secret-9931'
    const { akto, gw } = await env(t, (url) => [{ name: 'akto-guard', api_base: url, mode: 'pre_call', default_on: true, api_key: key }])
    await gw.client().chat.completions.create(chatBody('hello'))
    assert.equal(akto.requests[0]?.headers.authorization, `Bearer ${key}`)

    akto.fault = { kind: 'status', status: 500, body: JSON.stringify({ error: `invalid token Bearer ${key} (${key})` }) }
    const err = await apiFailure(gw.client().chat.completions.create(chatBody('hello again')))
    assert.equal(err.status, 503)
    const body = JSON.stringify(err.error)
    assert.match(body, /service answered 500/)
    assert.ok(!body.includes(key), `the error body does not hold the key: ${body}`)
    await requestLog(gw, err.headers?.get('x-request-id') ?? null)
    assert.ok(!gw.logs.some((l) => l.includes(key)), 'no log line holds the key')
  })
})

describe('akto: units', () => {
  const ctx = (over: Partial<GuardContext> = {}): GuardContext => guardContext({ model: 'gpt-x', ...over })

  test('requestPayload is the JSON string of {query, model}', () => {
    assert.equal(requestPayload(texts('a', 'b\nc'), 'm'), '{"query":"a\\nb\\nc","model":"m"}')
  })

  test('readAnswer folds both key casings; false wins', () => {
    assert.deepEqual(readAnswer({ Allowed: false, Reason: 'no' }), { allowed: false, reason: 'no', modifiedPayload: '' })
    assert.deepEqual(readAnswer({ allowed: true, reason: null, modifiedPayload: 'x' }), { allowed: true, reason: '', modifiedPayload: 'x' })
    assert.equal(readAnswer({ Allowed: true, allowed: false }).allowed, false)
  })

  test('mapModifiedPayload: one text takes all; several split at their own line breaks; other line counts throw invalid_shape', () => {
    assert.deepEqual(mapModifiedPayload('x\ny', ['a'], 'request'), ['x\ny'])
    assert.deepEqual(mapModifiedPayload('A\nB1\nB2\nC', ['a', 'b1\nb2', 'c'], 'request'), ['A', 'B1\nB2', 'C'])
    assert.deepEqual(mapModifiedPayload(JSON.stringify({ query: 'A\nB', model: 'm' }), ['a', 'b'], 'request'), ['A', 'B'])
    // on the answer side a JSON-looking payload is text, not a wrapper
    assert.deepEqual(mapModifiedPayload('{"query":"z"}', ['{"query":"q"}'], 'response'), ['{"query":"z"}'])
    assert.throws(
      () => mapModifiedPayload('A B', ['a', 'b'], 'request'),
      (e: unknown) => e instanceof ServiceError && e.kind === 'invalid_shape',
    )
  })

  test('checkInput / checkOutput against the fake: call types, the override, and verdicts', async (t) => {
    const akto = await useServer(t, startFakeAkto)
    const g = await createAkto({ api_base: akto.url + '/' }, { name: 'u', configDir: '/' })
    const o = await createAkto({ api_base: akto.url, call_type: 'custom_type' }, { name: 'u2', configDir: '/' })
    t.after(async () => {
      await g.close?.()
      await o.close?.()
    })
    assert.deepEqual(await g.checkInput!(texts('hi'), ctx()), { action: 'allow' })
    await g.checkInput!(texts('hi'), ctx({ callType: 'completion' }))
    await g.checkInput!(texts('hi'), ctx({ callType: 'embeddings' }))
    await o.checkInput!(texts('hi'), ctx())
    assert.deepEqual(akto.requests.map((r) => r.body.call_type), ['completion', 'text_completion', 'embeddings', 'custom_type'])
    assert.deepEqual(akto.requests[0]?.payload, { query: 'hi', model: 'gpt-x' })
    const blocked = await g.checkOutput!(texts('an ATTACK'), ctx({ mode: 'post_call' }))
    assert.equal(blocked.action, 'block')
    assert.equal(blocked.action === 'block' && blocked.reason, 'Prompt injection detected by fake Akto')
    const rewritten = await g.checkOutput!(texts('x', 'a secret-token'), ctx({ mode: 'post_call' }))
    assert.deepEqual(rewritten.action === 'rewrite' && rewritten.texts, ['x', 'a [MASKED]'])
    // a reason-less refusal still says who refused
    akto.blockReason = ''
    const bare = await g.checkInput!(texts('ATTACK'), ctx())
    assert.match(bare.action === 'block' ? bare.reason : '', /Akto guardrails service did not allow the request/)
  })
})
