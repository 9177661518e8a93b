// Guardrails that cannot decide — hang, crash, answer nonsense — never pass
// silently: on_error block (the default) fails closed with a 503
// guardrail_unavailable, on_error allow fails open and records the decision
// as unevaluated. Every decision is recorded in /metrics and the request's
// log line, never with prompt text; logging_only work goes through a bounded
// queue that drops instead of blocking.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { apiFailure, collect } from '../helpers/gateway.ts'
import { openGate, seenBy } from '../fixtures/guardrails/recorder.ts'
import { config, eventually, metric, post, requestLog, samples, setup, within } from './support.ts'

let n = 0
const uniqueKey = (what: string): string => `${what}-${++n}-${Date.now()}`

describe('failure policy', () => {
  test('a guardrail that hangs is cut at its timeout and fails closed (503)', async (t) => {
    const key = uniqueKey('hang')
    const { fake, gw } = await setup(t, (up) =>
      config({ upstream: up, guardrails: [{ name: 'stuck', fixture: 'hang', mode: 'pre_call', default_on: true, timeout: 0.2, record: key }] }),
    )
    const started = Date.now()
    const err = await apiFailure(gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hello' }] }))
    assert.ok(Date.now() - started < 5000, 'the gateway did not wait past the guardrail timeout')
    assert.equal(err.status, 503)
    assert.equal(err.code, 'guardrail_unavailable')
    const body = err.error as { message: string; guardrail: { name: string; mode: string; reason: string } }
    assert.match(body.message, /"stuck"/)
    assert.match(body.guardrail.reason, /timed out after 0\.2s/)
    assert.equal(body.guardrail.name, 'stuck')
    assert.equal(body.guardrail.mode, 'pre_call')
    assert.equal(fake.requests.length, 0, 'fail closed: the model was not called')
    assert.equal(seenBy(key)[0]?.aborted, true, "the guardrail's signal was aborted at the timeout")
    assert.equal(await metric(gw, 'guardrail_errors_total', { guardrail: 'stuck', mode: 'pre_call', kind: 'timeout' }), 1)
  })

  const crashers: Array<[string, { fixture: string; [param: string]: unknown }, RegExp, string]> = [
    ['throws', { fixture: 'throws' }, /error: fixture guardrail crashed/, 'error'],
    ['answers an unknown action', { fixture: 'nonsense' }, /invalid verdict: unknown action "maybe"/, 'invalid_verdict'],
    ['answers a rewrite with the wrong number of texts', { fixture: 'nonsense', answer: 'wrong-count' }, /invalid verdict: rewrite returned 2 texts for 1/, 'invalid_verdict'],
    ['answers a non-object', { fixture: 'nonsense', answer: 'not-an-object' }, /invalid verdict: expected an object/, 'invalid_verdict'],
    ['hangs', { fixture: 'hang', timeout: 0.1 }, /timed out after 0\.1s/, 'timeout'],
  ]
  for (const [what, def, reason, kind] of crashers) {
    test(`a guardrail that ${what} fails closed by default, and open with on_error: allow (recorded unevaluated)`, async (t) => {
      const { fake, gw } = await setup(t, (up) =>
        config({
          upstream: up,
          guardrails: [
            { name: 'closed', mode: 'pre_call', default_on: true, ...def },
            { name: 'open', mode: 'pre_call', on_error: 'allow', ...def },
          ],
        }),
      )
      const err = await apiFailure(gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hello' }] }))
      assert.equal(err.status, 503)
      assert.equal(err.code, 'guardrail_unavailable')
      assert.equal(err.type, 'service_unavailable')
      assert.match((err.error as { message: string }).message, reason)
      assert.equal(fake.requests.length, 0)
      const closedLog = await requestLog(gw, err.headers?.get('x-request-id') ?? null)
      assert.equal(closedLog.status, 503)
      assert.deepEqual(closedLog.guardrails?.map((d) => [d.name, d.mode, d.action]), [['closed', 'pre_call', 'block']])

      // `open` fails open; `closed` still runs (default_on), so take it out of the way with a second gateway
      const { fake: fake2, gw: gw2 } = await setup(t, (up) =>
        config({ upstream: up, guardrails: [{ name: 'open', mode: 'pre_call', default_on: true, on_error: 'allow', ...def }] }),
      )
      const { data, response } = await gw2
        .client()
        .chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hello' }] })
        .withResponse()
      assert.equal(response.status, 200)
      assert.equal(data.choices[0]?.message.content, 'fake: hello')
      assert.equal(fake2.requests.length, 1)
      const log = await requestLog(gw2, response.headers.get('x-request-id'))
      assert.equal(log.status, 200)
      assert.equal(log.guardrails?.length, 1)
      const d = log.guardrails?.[0]
      assert.equal(d?.name, 'open')
      assert.equal(d?.action, 'unevaluated')
      assert.match(d?.reason ?? '', reason)
      assert.equal(await metric(gw2, 'guardrail_requests_total', { guardrail: 'open', mode: 'pre_call', action: 'unevaluated' }), 1)
      assert.equal(await metric(gw2, 'guardrail_errors_total', { guardrail: 'open', mode: 'pre_call', kind }), 1)
    })
  }

  test("LiteLLM's unreachable_fallback: fail_open means on_error: allow", async (t) => {
    const { gw } = await setup(t, (up) =>
      config({ upstream: up, guardrails: [{ name: 'open', fixture: 'throws', mode: 'pre_call', default_on: true, unreachable_fallback: 'fail_open' }] }),
    )
    const r = await gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hello' }] })
    assert.equal(r.choices[0]?.message.content, 'fake: hello')
  })

  test('a during_call guardrail that crashes fails closed and aborts the upstream call', async (t) => {
    // it crashes once the upstream got the request, so there is a request to abort
    const gate = uniqueKey('crash-gate')
    const { fake, gw } = await setup(t, (up) => config({ upstream: up, guardrails: [{ name: 'beside', fixture: 'throws', mode: 'during_call', default_on: true, gate }] }))
    t.after(() => openGate(gate))
    fake.queue({ kind: 'hang' })
    const aborted = fake.waitForAbort()
    const call = apiFailure(gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hello' }] }))
    await within(fake.waitForRequests(1), 'the upstream request')
    openGate(gate)
    const err = await call
    assert.equal(err.status, 503)
    assert.equal(err.code, 'guardrail_unavailable')
    assert.equal((err.error as { guardrail: { mode: string } }).guardrail.mode, 'during_call')
    await within(aborted, 'the upstream request to be aborted')
  })

  test('a post_call guardrail that crashes on a stream fails closed before the first byte; with on_error allow the stream is delivered', async (t) => {
    const { fake, gw } = await setup(t, (up) =>
      config({
        upstream: up,
        guardrails: [
          { name: 'closed', fixture: 'throws', mode: 'post_call', default_on: true },
          { name: 'open', fixture: 'hang', mode: 'post_call', on_error: 'allow', timeout: 0.1 },
        ],
      }),
    )
    fake.queue({ kind: 'stream', chunks: ['one ', 'two'] })
    const raw = await post(gw, '/v1/chat/completions', { model: 'gpt', stream: true, messages: [{ role: 'user', content: 'go' }] })
    assert.equal(raw.status, 503)
    assert.equal(raw.json().error.code, 'guardrail_unavailable')

    const { fake: fake2, gw: gw2 } = await setup(t, (up) =>
      config({ upstream: up, guardrails: [{ name: 'open', fixture: 'hang', mode: 'post_call', default_on: true, on_error: 'allow', timeout: 0.1 }] }),
    )
    fake2.queue({ kind: 'stream', chunks: ['one ', 'two'] })
    const { data, response } = await gw2.client().chat.completions.create({ model: 'gpt', stream: true, messages: [{ role: 'user', content: 'go' }] }).withResponse()
    const chunks = await collect(data)
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'one two')
    const log = await requestLog(gw2, response.headers.get('x-request-id'))
    assert.deepEqual(log.guardrails?.map((d) => [d.name, d.mode, d.action]), [['open', 'post_call', 'unevaluated']])
  })
})

describe('decision records', () => {
  test('/metrics counts decisions by guardrail, mode and action, and their duration; the log line lists them without prompt text', async (t) => {
    const { fake, gw } = await setup(t, (up) =>
      config({
        upstream: up,
        guardrails: [
          { name: 'mask', fixture: 'word', mode: ['pre_call', 'post_call'], default_on: true, word: 'sesame' },
          { name: 'stop', fixture: 'word', mode: 'pre_call', default_on: true, word: 'forbidden', action: 'block' },
          { name: 'note', fixture: 'word', mode: 'post_call', default_on: true, word: 'answer', action: 'flag' },
        ],
      }),
    )
    const prompt = 'open sesame, my secret is PINEAPPLE-7731'
    fake.queue({ kind: 'reply', content: 'the answer is sesame WALRUS-4410' })
    const { response } = await gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: prompt }] }).withResponse()
    const blocked = await apiFailure(gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'forbidden MANGO-5512' }] }))
    assert.equal(blocked.status, 400)

    const log = await requestLog(gw, response.headers.get('x-request-id'))
    assert.deepEqual(
      log.guardrails?.map(({ ms, ...d }) => (assert.equal(typeof ms, 'number'), d)),
      [
        { name: 'mask', mode: 'pre_call', action: 'rewrite', reason: 'masked 1 word(s)' },
        { name: 'stop', mode: 'pre_call', action: 'allow' },
        { name: 'mask', mode: 'post_call', action: 'rewrite', reason: 'masked 1 word(s)' },
        { name: 'note', mode: 'post_call', action: 'flag', reason: 'saw a banned word (1x)' },
      ],
    )
    const blockLog = await requestLog(gw, blocked.headers?.get('x-request-id') ?? null)
    assert.deepEqual(
      blockLog.guardrails?.map((d) => [d.name, d.action, d.reason, d.findings]),
      [
        ['mask', 'allow', undefined, undefined],
        ['stop', 'block', 'found a banned word (1x)', 1],
      ],
    )
    for (const secret of ['PINEAPPLE', 'WALRUS', 'MANGO', 'sesame']) {
      assert.ok(!gw.logs.some((l) => l.includes(secret)), `no log line holds prompt or answer text (${secret})`)
    }

    assert.equal(await metric(gw, 'guardrail_requests_total', { guardrail: 'mask', mode: 'pre_call', action: 'rewrite' }), 1)
    assert.equal(await metric(gw, 'guardrail_requests_total', { guardrail: 'mask', mode: 'pre_call', action: 'allow' }), 1)
    assert.equal(await metric(gw, 'guardrail_requests_total', { guardrail: 'mask', mode: 'post_call', action: 'rewrite' }), 1)
    assert.equal(await metric(gw, 'guardrail_requests_total', { guardrail: 'stop', mode: 'pre_call', action: 'block' }), 1)
    assert.equal(await metric(gw, 'guardrail_requests_total', { guardrail: 'stop', mode: 'pre_call', action: 'allow' }), 1)
    assert.equal(await metric(gw, 'guardrail_requests_total', { guardrail: 'note', mode: 'post_call', action: 'flag' }), 1)
    assert.equal(await metric(gw, 'guardrail_duration_seconds_count', { guardrail: 'mask', mode: 'pre_call' }), 2)
    assert.equal(await metric(gw, 'guardrail_duration_seconds_count', { guardrail: 'stop', mode: 'pre_call' }), 2)
    assert.ok((await samples(gw, 'guardrail_duration_seconds_bucket', { guardrail: 'note', mode: 'post_call', le: '+Inf' })).length === 1)
  })

  test('/metrics counts guardrail errors by kind', async (t) => {
    const { gw } = await setup(t, (up) =>
      config({
        upstream: up,
        guardrails: [
          { name: 'e-timeout', fixture: 'hang', mode: 'pre_call', default_on: true, on_error: 'allow', timeout: 0.05 },
          { name: 'e-crash', fixture: 'throws', mode: 'pre_call', default_on: true, on_error: 'allow' },
          { name: 'e-nonsense', fixture: 'nonsense', mode: 'pre_call', default_on: true, on_error: 'allow' },
        ],
      }),
    )
    await gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hello' }] })
    assert.equal(await metric(gw, 'guardrail_errors_total', { guardrail: 'e-timeout', kind: 'timeout' }), 1)
    assert.equal(await metric(gw, 'guardrail_errors_total', { guardrail: 'e-crash', kind: 'error' }), 1)
    assert.equal(await metric(gw, 'guardrail_errors_total', { guardrail: 'e-nonsense', kind: 'invalid_verdict' }), 1)
    assert.equal(await metric(gw, 'guardrail_requests_total', { action: 'unevaluated' }), 3)
  })
})

describe('logging_only queue', () => {
  test('a full queue drops checks instead of blocking requests', async (t) => {
    const gate = uniqueKey('queue-gate')
    const { gw } = await setup(t, (up) =>
      config({
        upstream: up,
        general: { guardrail_queue_size: 1 },
        // each check waits for the gate: the queue's workers stay busy until the test opens it
        guardrails: [{ name: 'slow-audit', fixture: 'word', mode: 'logging_only', default_on: true, word: 'zzz-never', gate, record: gate, timeout: 60 }],
      }),
    )
    t.after(() => openGate(gate)) // lets the queue drain at shutdown, even when an assertion failed
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: `call ${i}` }] })),
    )
    assert.equal(answers.length, 10)
    answers.forEach((a, i) => assert.equal(a.choices[0]?.message.content, `fake: call ${i}`))
    assert.ok(seenBy(gate).length >= 1, 'the logging_only guardrail is running')
    const dropped = await metric(gw, 'guardrail_logging_queue_dropped_total')
    assert.ok(dropped > 0, `checks were dropped (${dropped})`)
    assert.ok(gw.logs.some((l) => l.includes('queue full')), 'the drop is logged')
    openGate(gate)
    await eventually(() => seenBy(gate).length, (c) => c >= 2, 'the queued checks to go on once the gate opened')
  })
})
