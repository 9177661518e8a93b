// The four guardrail modes through a real gateway, read with the official SDK:
// pre_call rewrites what the model sees or blocks before it is called,
// during_call runs beside the upstream call and aborts it on a block,
// post_call rewrites answers, logging_only sees everything and changes nothing.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { apiFailure, collect } from '../helpers/gateway.ts'
import { openGate, seenBy } from '../fixtures/guardrails/recorder.ts'
import { config, eventually, namesIn, requestLog, samples, setup, within } from './support.ts'

const userText = (body: Record<string, unknown>): unknown => (body.messages as Array<{ content: unknown }>)[0]?.content

describe('pre_call', () => {
  test('a rewrite is what the model sees', async (t) => {
    const { fake, gw } = await setup(t, (up) =>
      config({ upstream: up, guardrails: [{ name: 'mask', fixture: 'word', mode: 'pre_call', default_on: true, word: 'sesame' }] }),
    )
    const { data, response } = await gw
      .client()
      .chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'open Sesame please' }] })
      .withResponse()
    assert.equal(fake.requests.length, 1)
    assert.equal(userText(fake.requests[0]!.body), 'open [MASKED] please')
    assert.equal(data.choices[0]?.message.content, 'fake: open [MASKED] please')
    assert.deepEqual(namesIn(response.headers.get('x-portcullis-applied-guardrails')), ['mask'])
  })

  test('a block is a 400 naming the guardrail and the reason, and the upstream is never called', async (t) => {
    const { fake, gw } = await setup(t, (up) =>
      config({ upstream: up, guardrails: [{ name: 'no-secrets', fixture: 'word', mode: 'pre_call', default_on: true, word: 'forbidden', action: 'block' }] }),
    )
    const err = await apiFailure(gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'say the forbidden thing' }] }))
    assert.equal(err.status, 400)
    assert.equal(err.code, 'guardrail_blocked')
    assert.equal(err.type, 'invalid_request_error')
    const body = err.error as { message: string; param: unknown; guardrail: unknown }
    assert.match(body.message, /no-secrets/)
    assert.match(body.message, /found a banned word \(1x\)/)
    assert.equal(body.param, null)
    assert.deepEqual(body.guardrail, { name: 'no-secrets', mode: 'pre_call', reason: 'found a banned word (1x)' })
    assert.equal(fake.requests.length, 0, 'the upstream was never called')
    // an innocent request still passes
    const ok = await gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'say hello' }] })
    assert.equal(ok.choices[0]?.message.content, 'fake: say hello')
  })

  test('legacy completions and embeddings are guarded too', async (t) => {
    const { fake, gw } = await setup(t, (up) =>
      config({ upstream: up, guardrails: [{ name: 'mask', fixture: 'word', mode: 'pre_call', default_on: true, word: 'sesame' }] }),
    )
    const c = await gw.client().completions.create({ model: 'gpt', prompt: 'open sesame' })
    assert.equal(fake.requests[0]?.body.prompt, 'open [MASKED]')
    assert.equal(c.choices[0]?.text, 'fake: open [MASKED]')
    await gw.client().embeddings.create({ model: 'gpt', input: ['sesame seeds', 'plain'] })
    assert.deepEqual(fake.requests[1]?.body.input, ['[MASKED] seeds', 'plain'])
  })
})

describe('during_call', () => {
  test('runs beside the upstream call, and an allow lets the answer through', async (t) => {
    // The guardrail answers only once the upstream got the request: were the
    // two run one after the other, this call could never finish.
    const gate = `during-gate-${Date.now()}`
    const { fake, gw } = await setup(t, (up) =>
      config({
        upstream: up,
        guardrails: [{ name: 'watch', fixture: 'word', mode: 'during_call', default_on: true, word: 'forbidden', action: 'block', gate, record: gate, timeout: 20 }],
      }),
    )
    const call = gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'an innocent question' }] }).withResponse()
    await within(fake.waitForRequests(1), 'the upstream request while the guardrail is still deciding')
    assert.equal(seenBy(gate).length, 1, 'the during_call guardrail started')
    openGate(gate)
    const { data, response } = await call
    assert.equal(data.choices[0]?.message.content, 'fake: an innocent question')
    assert.deepEqual(namesIn(response.headers.get('x-portcullis-applied-guardrails')), ['watch'])
    assert.deepEqual(seenBy(gate)[0]?.texts, ['an innocent question'])
    assert.equal(seenBy(gate)[0]?.mode, 'during_call')
  })

  test('a block aborts a hanging upstream request and answers 400', async (t) => {
    const { fake, gw } = await setup(t, (up) =>
      config({ upstream: up, guardrails: [{ name: 'watch', fixture: 'word', mode: 'during_call', default_on: true, word: 'forbidden', action: 'block', delay_ms: 50 }] }),
    )
    fake.queue({ kind: 'hang' })
    const aborted = fake.waitForAbort()
    const err = await apiFailure(gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'a forbidden question' }] }))
    assert.equal(err.status, 400)
    assert.equal(err.code, 'guardrail_blocked')
    assert.deepEqual((err.error as { guardrail: unknown }).guardrail, { name: 'watch', mode: 'during_call', reason: 'found a banned word (1x)' })
    await within(aborted, 'the upstream request to be aborted')
    assert.equal(fake.aborted, 1)
  })

  test('a block aborts a slow upstream stream that already started, and none of it is delivered', async (t) => {
    const { fake, gw } = await setup(t, (up) =>
      config({ upstream: up, guardrails: [{ name: 'watch', fixture: 'word', mode: 'during_call', default_on: true, word: 'forbidden', action: 'block', delay_ms: 150 }] }),
    )
    fake.queue({ kind: 'stream', chunks: ['UPSTREAM-', 'ANSWER-', 'PIECES ', 'more ', 'and more'], delays: [0, 1000, 1000, 1000, 1000] })
    const aborted = fake.waitForAbort()
    const started = Date.now()
    const err = await apiFailure(
      (async () => collect(await gw.client().chat.completions.create({ model: 'gpt', stream: true, messages: [{ role: 'user', content: 'a forbidden question' }] })))(),
    )
    assert.equal(err.status, 400, 'blocked before the first byte: a plain 400')
    assert.equal(err.code, 'guardrail_blocked')
    assert.doesNotMatch(JSON.stringify(err.error), /UPSTREAM|ANSWER/)
    await within(aborted, 'the upstream stream to be aborted')
    assert.ok(Date.now() - started < 6000, 'the gateway did not wait for the upstream stream to finish')
  })

  test('one block aborts the upstream at once, without waiting for the other during_call guardrails', async (t) => {
    const gate = `during-slow-${Date.now()}`
    t.after(() => openGate(gate))
    const { fake, gw } = await setup(t, (up) =>
      config({
        upstream: up,
        guardrails: [
          { name: 'slow', fixture: 'word', mode: 'during_call', default_on: true, word: 'zzz-never', gate, timeout: 30 },
          { name: 'fast', fixture: 'word', mode: 'during_call', default_on: true, word: 'forbidden', action: 'block', delay_ms: 50 },
        ],
      }),
    )
    fake.queue({ kind: 'hang' })
    const aborted = fake.waitForAbort()
    const call = apiFailure(gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'a forbidden question' }] }))
    // `slow` is still deciding (its gate is closed) while this must happen
    await within(aborted, 'the upstream request to be aborted while another during_call guardrail is still running')
    const err = await within(call, 'the 400 while another during_call guardrail is still running')
    assert.equal(err.status, 400)
    assert.deepEqual((err.error as { guardrail: unknown }).guardrail, { name: 'fast', mode: 'during_call', reason: 'found a banned word (1x)' })
  })

  test('a during_call guardrail cannot rewrite: its rewrite is recorded as a flag and the request goes unchanged', async (t) => {
    const { fake, gw } = await setup(t, (up) =>
      config({ upstream: up, guardrails: [{ name: 'watch', fixture: 'word', mode: 'during_call', default_on: true, word: 'sesame' }] }),
    )
    const { response } = await gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'open sesame' }] }).withResponse()
    assert.equal(userText(fake.requests[0]!.body), 'open sesame')
    const log = await requestLog(gw, response.headers.get('x-request-id'))
    assert.deepEqual(log.guardrails?.map((d) => [d.name, d.mode, d.action]), [['watch', 'during_call', 'flag']])
  })
})

describe('post_call', () => {
  test('rewrites a JSON answer (chat and completions)', async (t) => {
    const { fake, gw } = await setup(t, (up) =>
      config({ upstream: up, guardrails: [{ name: 'mask', fixture: 'word', mode: 'post_call', default_on: true, word: 'quokka' }] }),
    )
    fake.queue({ kind: 'reply', content: 'the Quokka smiled at the quokka' }, { kind: 'reply', content: 'a quokka' })
    const chat = await gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'who smiled? (quokka)' }] })
    assert.equal(chat.choices[0]?.message.content, 'the [MASKED] smiled at the [MASKED]')
    assert.equal(userText(fake.requests[0]!.body), 'who smiled? (quokka)', 'post_call does not touch the request')
    const completion = await gw.client().completions.create({ model: 'gpt', prompt: 'hi' })
    assert.equal(completion.choices[0]?.text, 'a [MASKED]')
  })

  test('a block of a JSON answer is a 400 naming the guardrail', async (t) => {
    const { fake, gw } = await setup(t, (up) =>
      config({ upstream: up, guardrails: [{ name: 'out', fixture: 'word', mode: 'post_call', default_on: true, word: 'forbidden', action: 'block' }] }),
    )
    fake.queue({ kind: 'reply', content: 'here is the forbidden answer' })
    const err = await apiFailure(gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] }))
    assert.equal(err.status, 400)
    assert.equal(err.code, 'guardrail_blocked')
    assert.deepEqual((err.error as { guardrail: unknown }).guardrail, { name: 'out', mode: 'post_call', reason: 'found a banned word (1x)' })
    assert.doesNotMatch(JSON.stringify(err.error), /here is the/)
  })
})

describe('logging_only', () => {
  test('never blocks nor changes the answer, yet sees the request and the answer (JSON)', async (t) => {
    const key = `log-json-${Date.now()}`
    const { fake, gw } = await setup(t, (up) =>
      config({ upstream: up, guardrails: [{ name: 'audit', fixture: 'word', mode: 'logging_only', default_on: true, word: 'forbidden', action: 'block', record: key }] }),
    )
    fake.queue({ kind: 'reply', content: 'a forbidden answer' })
    const { data, response } = await gw
      .client()
      .chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'a forbidden question' }] })
      .withResponse()
    assert.equal(response.status, 200)
    assert.equal(data.choices[0]?.message.content, 'a forbidden answer')
    assert.equal(userText(fake.requests[0]!.body), 'a forbidden question')
    assert.deepEqual(namesIn(response.headers.get('x-portcullis-applied-guardrails')), ['audit'])
    const seen = await eventually(() => seenBy(key), (s) => s.length >= 2, 'the logging_only checks')
    assert.deepEqual(
      seen.map((s) => [s.mode, s.direction, s.texts]),
      [
        ['logging_only', 'input', ['a forbidden question']],
        ['logging_only', 'output', ['a forbidden answer']],
      ],
    )
  })

  test('never blocks nor changes a stream, yet sees the delivered text', async (t) => {
    const key = `log-stream-${Date.now()}`
    const { fake, gw } = await setup(t, (up) =>
      config({ upstream: up, guardrails: [{ name: 'audit', fixture: 'word', mode: 'logging_only', default_on: true, word: 'forbidden', record: key }] }),
    )
    fake.queue({ kind: 'stream', chunks: ['a forb', 'idden ', 'answer'] })
    const chunks = await collect(await gw.client().chat.completions.create({ model: 'gpt', stream: true, messages: [{ role: 'user', content: 'forbidden?' }] }))
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'a forbidden answer')
    const seen = await eventually(() => seenBy(key), (s) => s.length >= 2, 'the logging_only checks')
    assert.deepEqual(seen.map((s) => s.texts), [['forbidden?'], ['a forbidden answer']])
  })

  test('a logging_only guardrail that crashes or hangs does not affect the answer', async (t) => {
    const { gw } = await setup(t, (up) =>
      config({
        upstream: up,
        guardrails: [
          { name: 'crash', fixture: 'throws', mode: 'logging_only', default_on: true },
          { name: 'stuck', fixture: 'hang', mode: 'logging_only', default_on: true, timeout: 0.1 },
        ],
      }),
    )
    const r = await gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hello' }] })
    assert.equal(r.choices[0]?.message.content, 'fake: hello')
    await eventually(
      () => gw.logs.filter((l) => l.includes('"guardrail decision"')).length,
      (n) => n >= 2,
      'the logging_only decisions',
    )
    assert.ok((await samples(gw, 'guardrail_errors_total', { guardrail: 'crash', mode: 'logging_only', kind: 'error' })).length > 0)
  })
})
