// `openai_moderation` against a fake moderation service: through the real
// gateway with the OpenAI SDK (blocks before the model, flags, output in JSON
// and streams, the request it sends, its key kept out of logs and errors, fail
// closed / open for every way the service fails, api_base checked at start),
// plus unit tests of thresholds and batching on the factory itself.
import { describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '../../../src/config/load.ts'
import { ParamError } from '../../../src/guardrails/factory.ts'
import { createOpenAIModeration } from '../../../src/guardrails/external/openai-moderation.ts'
import type { GuardContext, Guardrail, GuardText, Verdict } from '../../../src/guardrails/types.ts'
import { apiFailure, collect, messageOf, startGateway, useServer } from '../../helpers/gateway.ts'
import { startFakeModeration, type FakeModeration } from '../../servers/fake-moderation.ts'
import { closedUrl, type Fault } from '../../servers/service-faults.ts'
import { callInfo } from '../unit/helpers.ts'
import { ask, config, failsClosedThenOpen, type GuardrailDef, metric, type Mode, requestLog, setup } from '../support.ts'

const KEY = 'sk-moderation-secret-123'
const useModeration = (t: TestContext): Promise<FakeModeration> => useServer(t, startFakeModeration)

/** A guardrail def `name` on the fake moderation service (default_on, pre_call unless `mode` is given). */
const guard = (name: string, apiBase: string, extra: Partial<Record<string, unknown>> & { mode?: Mode | Mode[] } = {}): GuardrailDef => ({
  name,
  type: 'openai_moderation',
  mode: 'pre_call' as Mode,
  default_on: true,
  api_base: apiBase,
  api_key: KEY,
  ...extra,
})

describe('openai_moderation through the gateway', () => {
  test('a flagged input is blocked before the model is called, the categories named, never the text', async (t) => {
    const mod = await useModeration(t)
    const { fake, gw } = await setup(t, (up) => config({ upstream: up, guardrails: [guard('mod', mod.url)] }))
    const err = await apiFailure(ask(gw, 'I hate mondays and want to kill the alarm clock'))
    assert.equal(err.status, 400)
    assert.equal(err.code, 'guardrail_blocked')
    const message = messageOf(err)
    assert.match(message, /"mod"/)
    assert.match(message, /hate \(0\.90\)/)
    assert.match(message, /violence \(0\.70\)/)
    assert.doesNotMatch(message, /mondays|alarm/, 'the reason never quotes the text')
    const body = err.error as { guardrail: { name: string; mode: string; reason: string; details?: { categories?: Record<string, number> } } }
    assert.deepEqual(body.guardrail.details?.categories, { hate: 0.9, violence: 0.7 })
    assert.equal(fake.requests.length, 0, 'the model was not called')
    assert.equal(mod.requests.length, 1)

    const log = await requestLog(gw, err.headers?.get('x-request-id') ?? null)
    assert.deepEqual(log.guardrails?.map((d) => [d.name, d.mode, d.action]), [['mod', 'pre_call', 'block']])
    assert.doesNotMatch(gw.logs.join('\n'), /mondays/, 'no log line holds the text')

    // a clean text passes
    const { data, response } = await ask(gw, 'hello there')
    assert.equal(data.choices[0]?.message.content, 'fake: hello there')
    assert.equal(response.headers.get('x-portcullis-applied-guardrails'), 'mod')
    assert.equal(mod.requests.length, 2)
  })

  test('one request for all texts of a call: model and input array, the key as a bearer token', async (t) => {
    const mod = await useModeration(t)
    const { gw } = await setup(t, (up) => config({ upstream: up, guardrails: [guard('mod', mod.url, { model: 'text-moderation-stable' })] }))
    await gw.client().chat.completions.create({
      model: 'gpt',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: 'second question' },
      ],
    })
    assert.equal(mod.requests.length, 1)
    const req = mod.requests[0]
    assert.equal(req?.method, 'POST')
    assert.equal(req?.path, '/v1/moderations')
    assert.equal(req?.headers.authorization, `Bearer ${KEY}`)
    assert.match(String(req?.headers['content-type']), /application\/json/)
    assert.equal(req?.body.model, 'text-moderation-stable')
    assert.deepEqual([...(req?.body.input as string[])].sort(), ['You are terse.', 'first answer', 'first question', 'second question'])
  })

  test('the model defaults to omni-moderation-latest', async (t) => {
    const mod = await useModeration(t)
    const { gw } = await setup(t, (up) => config({ upstream: up, guardrails: [guard('mod', mod.url)] }))
    await ask(gw, 'hi')
    assert.equal(mod.requests[0]?.body.model, 'omni-moderation-latest')
    assert.deepEqual(mod.requests[0]?.body.input, ['hi'])
  })

  test('per-category thresholds change the outcome', async (t) => {
    const mod = await useModeration(t)
    const { fake, gw } = await setup(t, (up) =>
      config({
        upstream: up,
        guardrails: [
          // violence 0.7 is flagged by the service, but this threshold is higher; harassment 0.4 is not, but this one is lower
          guard('strict', mod.url, { default_on: false, categories: { violence: 0.8, harassment: 0.3 } }),
          guard('everything', mod.url, { default_on: false, default_threshold: 0.35 }),
        ],
      }),
    )
    const passed = await ask(gw, 'kill the process', ['strict'])
    assert.equal(passed.response.status, 200)
    const err = await apiFailure(ask(gw, 'do not harass me', ['strict']))
    assert.equal(err.code, 'guardrail_blocked')
    assert.match(messageOf(err), /harassment \(0\.40\)/)
    assert.match(messageOf(await apiFailure(ask(gw, 'do not harass me', ['everything']))), /harassment \(0\.40\)/)
    assert.equal(fake.requests.length, 1)
  })

  test('action flag lets a flagged call through and records flag in the request log line', async (t) => {
    const mod = await useModeration(t)
    const { fake, gw } = await setup(t, (up) => config({ upstream: up, guardrails: [guard('mod', mod.url, { action: 'flag' })] }))
    const { data, response } = await ask(gw, 'I hate spinach')
    assert.equal(response.status, 200)
    assert.equal(data.choices[0]?.message.content, 'fake: I hate spinach')
    assert.equal(fake.requests.length, 1)
    const log = await requestLog(gw, response.headers.get('x-request-id'))
    assert.equal(log.guardrails?.length, 1)
    assert.equal(log.guardrails?.[0]?.action, 'flag')
    assert.match(log.guardrails?.[0]?.reason ?? '', /hate \(0\.90\)/)
    assert.equal(await metric(gw, 'guardrail_requests_total', { guardrail: 'mod', mode: 'pre_call', action: 'flag' }), 1)
  })

  test('post_call: a flagged answer is blocked (JSON and stream), the answer text was what was moderated', async (t) => {
    const mod = await useModeration(t)
    const { fake, gw } = await setup(t, (up) => config({ upstream: up, guardrails: [guard('mod', mod.url, { mode: 'post_call' })] }))
    fake.queue({ kind: 'reply', content: 'I hate to say it, but no.' })
    const err = await apiFailure(ask(gw, 'will you help?'))
    assert.equal(err.status, 400)
    assert.equal(err.code, 'guardrail_blocked')
    assert.equal((err.error as { guardrail: { mode: string } }).guardrail.mode, 'post_call')
    assert.match(messageOf(err), /hate \(0\.90\)/)
    assert.deepEqual(mod.requests.at(-1)?.body.input, ['I hate to say it, but no.'])

    fake.queue({ kind: 'stream', chunks: ['I ', 'ha', 'te ', 'to say ', 'it.'] })
    const streamErr = await apiFailure(
      (async () => collect(await gw.client().chat.completions.create({ model: 'gpt', stream: true, messages: [{ role: 'user', content: 'again?' }] })))(),
    )
    assert.match(messageOf(streamErr), /hate \(0\.90\)/)
    assert.match(messageOf(streamErr), /"mod" \(post_call\)/)

    // a clean stream is delivered whole
    fake.queue({ kind: 'stream', chunks: ['all ', 'good ', 'here'] })
    const chunks = await collect(await gw.client().chat.completions.create({ model: 'gpt', stream: true, messages: [{ role: 'user', content: 'x' }] }))
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'all good here')
  })

  test('the key is sent but never appears in logs or errors, even when the service echoes it', async (t) => {
    const mod = await useModeration(t)
    const { gw } = await setup(t, (up) => config({ upstream: up, guardrails: [guard('mod', mod.url)] }))
    mod.fault = { kind: 'status', status: 401, body: JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}` } }) }
    const err = await apiFailure(ask(gw, 'hello'))
    assert.equal(err.status, 503)
    assert.equal(err.code, 'guardrail_unavailable')
    assert.match(messageOf(err), /401/)
    assert.ok(!JSON.stringify(err.error).includes(KEY), 'the error body does not hold the key')
    assert.ok(!JSON.stringify(err.error).includes('moderation-secret'), 'nor a part of it')
    await requestLog(gw, err.headers?.get('x-request-id') ?? null)
    assert.equal(mod.requests[0]?.headers.authorization, `Bearer ${KEY}`)
    assert.ok(!gw.logs.join('\n').includes(KEY), 'no log line holds the key')
    assert.equal(await metric(gw, 'guardrail_errors_total', { guardrail: 'mod', mode: 'pre_call', kind: 'http_status' }), 1)
  })

  const faults: Array<[string, Fault | 'down' | 'short', string]> = [
    ['down', 'down', 'connect'],
    ['slow past the timeout', { kind: 'slow', ms: 3000 }, 'timeout'],
    ['answering HTML', { kind: 'html' }, 'content_type'],
    ['answering 500', { kind: 'status', status: 500 }, 'http_status'],
    ['answering truncated JSON', { kind: 'truncated' }, 'invalid_json'],
    ['answering one result too few', 'short', 'invalid_shape'],
  ]
  for (const [what, fault, kind] of faults) {
    test(`a service ${what} fails closed (503) by default and open with on_error: allow (unevaluated); kind ${kind}`, async (t) => {
      const mod = await useModeration(t)
      const base = fault === 'down' ? `${await closedUrl()}/v1` : mod.url
      if (fault === 'short') mod.dropOneResult = true
      else if (fault !== 'down') mod.fault = fault
      const { gw } = await failsClosedThenOpen(
        t,
        { closed: guard('closed', base, { default_on: false, timeout: 0.3 }), open: guard('open', base, { default_on: false, timeout: 0.3, on_error: 'allow' }) },
        'hello',
        kind,
      )
      assert.ok(!gw.logs.join('\n').includes(KEY), 'no log line holds the key')
    })
  }

  test('an ftp:// api_base is a start-up error naming the key', async () => {
    let thrown: unknown
    try {
      const gw = await startGateway(config({ guardrails: [guard('mod', 'ftp://127.0.0.1/v1')] }))
      await gw.close()
    } catch (err) {
      thrown = err
    }
    assert.ok(thrown instanceof ConfigError, `a ConfigError, got ${String(thrown)}`)
    assert.equal(thrown.issues.length, 1)
    assert.match(thrown.issues[0]?.path ?? '', /^guardrails\[0\]\.litellm_params\./)
    assert.match(`${thrown.issues[0]?.path} ${thrown.issues[0]?.message}`, /api_base must be http or https/)
  })
})

// ---------------------------------------------------------------- unit

const ctxOf = (signal = new AbortController().signal): GuardContext => ({ ...callInfo(signal), mode: 'pre_call', signal })
const textsOf = (...ts: string[]): GuardText[] => ts.map((text, index) => ({ index, text, source: 'user' }))

async function moderation(t: TestContext, mod: FakeModeration, params: Record<string, unknown> = {}): Promise<Guardrail> {
  const g = await createOpenAIModeration({ api_base: mod.url, api_key: KEY, ...params }, { name: 'mod', configDir: '.' })
  t.after(() => g.close?.())
  return g
}

const input = (g: Guardrail, ...ts: string[]): Promise<Verdict> => (g.checkInput as NonNullable<Guardrail['checkInput']>)(textsOf(...ts), ctxOf())

describe('openai_moderation unit', () => {
  test('without thresholds the service booleans decide; findings name the text and category', async (t) => {
    const mod = await useModeration(t)
    const g = await moderation(t, mod)
    assert.deepEqual(await input(g, 'fine', 'harass a bit'), { action: 'allow' })
    const v = await input(g, 'fine', 'I hate it')
    assert.equal(v.action, 'block')
    assert.deepEqual(v.action === 'block' ? v.findings : undefined, [{ type: 'hate', index: 1, score: 0.9 }])
  })

  test('a configured threshold wins over the boolean both ways; default_threshold covers the rest', async (t) => {
    const mod = await useModeration(t)
    const g = await moderation(t, mod, { categories: { hate: 0.95, harassment: '0.4' }, default_threshold: 0.6 })
    // hate 0.9 < 0.95 allowed; harassment 0.4 ≥ 0.4 hit (a score equal to the threshold hits); violence 0.7 ≥ 0.6 hit
    const v = await input(g, 'I hate to harass; kill')
    assert.equal(v.action, 'block')
    assert.equal(v.action === 'block' && v.reason, 'moderation flagged violence (0.70), harassment (0.40)')
    assert.deepEqual(await input(g, 'hate'), { action: 'allow' })
  })

  test('checkOutput moderates too', async (t) => {
    const mod = await useModeration(t)
    const g = await moderation(t, mod, { action: 'flag' })
    const v = await (g.checkOutput as NonNullable<Guardrail['checkOutput']>)(textsOf('kill it'), { ...ctxOf(), mode: 'post_call' })
    assert.equal(v.action, 'flag')
  })

  test('empty texts are not sent; nothing to send means no request', async (t) => {
    const mod = await useModeration(t)
    const g = await moderation(t, mod)
    assert.deepEqual(await input(g, '', '  '), { action: 'allow' })
    assert.equal(mod.requests.length, 0)
    await input(g, '', 'hi')
    assert.deepEqual(mod.requests[0]?.body.input, ['hi'])
  })

  test('many texts go in batches of 32; a long text in pieces whose worst score counts for it', async (t) => {
    const mod = await useModeration(t)
    const g = await moderation(t, mod)
    const many = Array.from({ length: 40 }, (_, i) => `text ${i}`)
    many[37] = 'I hate this'
    const v = await input(g, ...many)
    assert.equal(v.action, 'block')
    assert.deepEqual(v.action === 'block' ? v.findings?.map((f) => f.index) : [], [37])
    assert.deepEqual(
      mod.requests.map((r) => (r.body.input as string[]).length),
      [32, 8],
    )

    mod.requests.length = 0
    const long = `${'calm words '.repeat(2000)}and I hate the end`
    const v2 = await input(g, 'short', long)
    assert.equal(v2.action, 'block')
    assert.deepEqual(v2.action === 'block' ? v2.findings : [], [{ type: 'hate', index: 1, score: 0.9 }])
    const sent = mod.requests.flatMap((r) => r.body.input as string[])
    assert.ok(sent.length > 2, `the long text was split (${sent.length} inputs)`)
    assert.ok(sent.every((s) => s.length <= 8000))
    assert.equal(sent.slice(1).join(''), long, 'the pieces are the whole text, in order')

    // no whitespace to cut at: a hard cut, never inside a surrogate pair
    mod.requests.length = 0
    const dense = `${'x'.repeat(7999)}😀${'y'.repeat(9000)}`
    assert.deepEqual(await input(g, dense), { action: 'allow' })
    const parts = mod.requests.flatMap((r) => r.body.input as string[])
    assert.equal(parts.join(''), dense)
    assert.ok(parts.every((s) => s.length <= 8000 && !/[\uD800-\uDBFF]$|^[\uDC00-\uDFFF]/.test(s)), 'no piece splits the emoji')
  })

  test('params are checked: key required off loopback, thresholds within 0..1, api_base an http(s) URL, action', async () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{}, 'api_key'],
      [{ api_base: 'https://moderation.example.com/v1' }, 'api_key'],
      [{ api_base: 'ftp://127.0.0.1/v1' }, 'api_base'],
      [{ api_base: 'http://127.0.0.1/v1', categories: { hate: 1.5 } }, 'categories.hate'],
      [{ api_base: 'http://127.0.0.1/v1', default_threshold: -1 }, 'default_threshold'],
      [{ api_base: 'http://127.0.0.1/v1', action: 'mask' }, 'action'],
    ]
    for (const [params, key] of bad) {
      assert.throws(
        () => createOpenAIModeration(params, { name: 'mod', configDir: '.' }),
        (err: unknown) => err instanceof ParamError && err.key === key,
        `${JSON.stringify(params)} → ParamError at ${key}`,
      )
    }
    // loopback needs no key; an unknown category is a warning, not an error
    const warnings: string[] = []
    const g = await createOpenAIModeration({ api_base: 'http://localhost:9/v1', categories: { 'hate/speech': 0.5 } }, { name: 'm', configDir: '.', warn: (k, m) => warnings.push(`${k}: ${m}`) })
    await g.close?.()
    assert.equal(warnings.length, 1)
    assert.match(warnings[0] ?? '', /^categories: "hate\/speech" is not an OpenAI moderation category/)
    // the default api_base with a key is fine
    const d = await createOpenAIModeration({ api_key: 'k' }, { name: 'm', configDir: '.' })
    await d.close?.()
  })
})
