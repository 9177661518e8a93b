// Which guardrails run on a call: default_on ones always, optional ones only
// when the request asks (`guardrails` or `metadata.guardrails`), and no
// request can switch a default_on guardrail off. Every answer names the
// guardrails that ran, whatever their mode, in both headers.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type OpenAI from 'openai'
import { apiFailure, collect, type TestGateway } from '../helpers/gateway.ts'
import { seenBy } from '../fixtures/guardrails/recorder.ts'
import type { FakeOpenAI } from '../servers/fake-openai.ts'
import { config, eventually, namesIn, post, setup, type GuardrailDef } from './support.ts'

type Body = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming

let n = 0
/** A default_on `always` and an optional `opt` pre_call guardrail that record what they see. */
async function policyGateway(t: Parameters<typeof setup>[0]): Promise<{ fake: FakeOpenAI; gw: TestGateway; always: () => number; opt: () => number }> {
  const keys = { always: `always-${++n}-${Date.now()}`, opt: `opt-${n}-${Date.now()}` }
  const { fake, gw } = await setup(t, (up) =>
    config({
      upstream: up,
      guardrails: [
        { name: 'always', fixture: 'word', mode: 'pre_call', default_on: true, word: 'zzz-never', record: keys.always },
        { name: 'opt', fixture: 'word', mode: 'pre_call', word: 'sesame', record: keys.opt },
      ],
    }),
  )
  return { fake, gw, always: () => seenBy(keys.always).length, opt: () => seenBy(keys.opt).length }
}

/** A chat call with extra body fields the SDK does not know (passed with a cast, as users do). */
const chatWith = (gw: TestGateway, extra: Record<string, unknown>, content = 'open sesame') =>
  gw
    .client()
    .chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content }], ...extra } as Body)
    .withResponse()

describe('which guardrails run', () => {
  test('default_on always runs; an optional one does not unless asked', async (t) => {
    const { fake, gw, always, opt } = await policyGateway(t)
    const { data, response } = await chatWith(gw, {})
    assert.equal(data.choices[0]?.message.content, 'fake: open sesame', 'the optional masker did not run')
    assert.equal(always(), 1)
    assert.equal(opt(), 0)
    assert.deepEqual(namesIn(response.headers.get('x-portcullis-applied-guardrails')), ['always'])
    assert.equal(fake.requests.length, 1)
  })

  for (const [label, extra] of [
    ['guardrails: [opt]', { guardrails: ['opt'] }],
    ['metadata.guardrails: [opt]', { metadata: { guardrails: ['opt'] } }],
    ['guardrails: {opt: {}} (LiteLLM mapping form)', { guardrails: { opt: {} } }],
  ] as const) {
    test(`an optional guardrail runs when asked via ${label}`, async (t) => {
      const { fake, gw, always, opt } = await policyGateway(t)
      const { data, response } = await chatWith(gw, extra)
      assert.equal(data.choices[0]?.message.content, 'fake: open [MASKED]')
      assert.equal(always(), 1)
      assert.equal(opt(), 1)
      assert.deepEqual(namesIn(response.headers.get('x-portcullis-applied-guardrails')), ['always', 'opt'])
      assert.deepEqual(namesIn(response.headers.get('x-litellm-applied-guardrails')), ['always', 'opt'])
      const upstream = fake.requests[0]?.body ?? {}
      assert.ok(!('guardrails' in upstream), 'the gateway field never reaches the upstream')
      assert.ok(!('metadata' in upstream), 'nor does the gateway metadata')
    })
  }

  test('with store: true the metadata reaches the upstream, minus the gateway fields in it', async (t) => {
    const { fake, gw, opt } = await policyGateway(t)
    const { data } = await chatWith(gw, { store: true, metadata: { guardrails: ['opt'], opted_out_global_guardrails: [], disable_global_guardrails: false, tag: 'billing' } })
    assert.equal(data.choices[0]?.message.content, 'fake: open [MASKED]')
    assert.equal(opt(), 1)
    assert.deepEqual(fake.requests[0]?.body.metadata, { tag: 'billing' }, 'OpenAI metadata values must be strings: the gateway lists never go upstream')
  })

  for (const [label, extra] of [
    ['guardrails: []', { guardrails: [] }],
    ['guardrails: {}', { guardrails: {} }],
    ['metadata.guardrails: []', { metadata: { guardrails: [] } }],
    ['guardrails: [opt] (asking for another one)', { guardrails: ['opt'] }],
  ] as const) {
    test(`${label} leaves the default_on guardrail running`, async (t) => {
      const { gw, always } = await policyGateway(t)
      const { response } = await chatWith(gw, extra)
      assert.equal(response.status, 200)
      assert.equal(always(), 1, 'the default_on guardrail really ran')
      assert.ok(namesIn(response.headers.get('x-portcullis-applied-guardrails')).includes('always'))
    })
  }

  for (const [label, extra] of [
    ['disable_global_guardrails: true', { disable_global_guardrails: true }],
    ['metadata.disable_global_guardrails: true', { metadata: { disable_global_guardrails: true } }],
    ['opted_out_global_guardrails: [always]', { opted_out_global_guardrails: ['always'] }],
    ['metadata.opted_out_global_guardrails: [always]', { metadata: { opted_out_global_guardrails: ['always'] } }],
    ['guardrails: {always: false}', { guardrails: { always: false } }],
    ['metadata.guardrails: {always: false}', { metadata: { guardrails: { always: false } } }],
    ['guardrails: {always: null}', { guardrails: { always: null } }],
  ] as const) {
    test(`switching a default_on guardrail off with ${label} is refused (403)`, async (t) => {
      const { fake, gw, always } = await policyGateway(t)
      const err = await apiFailure(chatWith(gw, extra))
      assert.equal(err.status, 403)
      assert.equal(err.code, 'guardrail_mandatory')
      assert.equal(err.type, 'permission_error')
      assert.match((err.error as { message: string }).message, /"always"/)
      assert.equal(fake.requests.length, 0, 'the upstream was not called')
      assert.equal(always(), 0)
    })
  }

  test('opting out of an optional guardrail that was not asked for is harmless', async (t) => {
    const { gw, always, opt } = await policyGateway(t)
    const { response } = await chatWith(gw, { opted_out_global_guardrails: ['opt'] })
    assert.equal(response.status, 200)
    assert.equal(always(), 1)
    assert.equal(opt(), 0)
  })

  for (const [label, extra] of [
    ['guardrails: [nope]', { guardrails: ['nope'] }],
    ['metadata.guardrails: [nope]', { metadata: { guardrails: ['nope'] } }],
    ['guardrails: {nope: {}}', { guardrails: { nope: {} } }],
    ['opted_out_global_guardrails: [nope]', { opted_out_global_guardrails: ['nope'] }],
  ] as const) {
    test(`an unknown guardrail (${label}) is a 400`, async (t) => {
      const { fake, gw } = await policyGateway(t)
      const err = await apiFailure(chatWith(gw, extra))
      assert.equal(err.status, 400)
      assert.equal(err.code, 'unknown_guardrail')
      assert.match((err.error as { message: string }).message, /"nope"/)
      assert.equal(fake.requests.length, 0)
    })
  }
})

describe('applied-guardrails headers', () => {
  const all: GuardrailDef[] = [
    { name: 'g-pre', fixture: 'word', mode: 'pre_call', default_on: true, word: 'forbidden', action: 'block' },
    { name: 'g-during', fixture: 'word', mode: 'during_call', default_on: true, word: 'zzz-never' },
    { name: 'g-post', fixture: 'word', mode: 'post_call', default_on: true, word: 'zzz-never' },
    { name: 'g-log', fixture: 'word', mode: 'logging_only', default_on: true, word: 'zzz-never' },
    { name: 'g-opt', fixture: 'word', mode: 'post_call', word: 'zzz-never' },
  ]
  const every = ['g-pre', 'g-during', 'g-post', 'g-log']
  const both = (h: Headers | undefined): [string[], string[]] => [
    namesIn(h?.get('x-portcullis-applied-guardrails') ?? null),
    namesIn(h?.get('x-litellm-applied-guardrails') ?? null),
  ]

  test('name the guardrails of every mode on success, on a block and on streams', async (t) => {
    const { gw } = await setup(t, (up) => config({ upstream: up, guardrails: all }))
    const sdk = gw.client()

    const ok = await sdk.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hello' }] }).withResponse()
    assert.deepEqual(both(ok.response.headers), [every, every], 'JSON success')

    const blocked = await apiFailure(sdk.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'forbidden' }] }))
    assert.equal(blocked.status, 400)
    assert.deepEqual(both(blocked.headers), [every, every], 'a 400 block')

    const streamed = await sdk.chat.completions.create({ model: 'gpt', stream: true, messages: [{ role: 'user', content: 'hello there' }] }).withResponse()
    await collect(streamed.data)
    assert.deepEqual(both(streamed.response.headers), [every, every], 'a stream')

    const asked = await chatWith(gw, { guardrails: ['g-opt'] }, 'hello')
    assert.deepEqual(both(asked.response.headers), [[...every, 'g-opt'], [...every, 'g-opt']], 'an optional one asked for')

    const raw = await post(gw, '/v1/chat/completions', { model: 'gpt', stream: true, messages: [{ role: 'user', content: 'forbidden' }] })
    assert.equal(raw.status, 400)
    assert.deepEqual(both(raw.headers), [every, every], 'a streamed call blocked before the first byte')
    assert.ok(raw.headers.get('x-request-id'))
    // the logging_only one really runs, after the answers
    await eventually(() => gw.logs.filter((l) => l.includes('"g-log"')).length, (c) => c > 0, 'a logging_only decision')
  })

  test('a gateway without guardrails sends none of the headers', async (t) => {
    const { gw } = await setup(t, (up) => config({ upstream: up, guardrails: [] }))
    const { response } = await gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hello' }] }).withResponse()
    assert.equal(response.headers.get('x-portcullis-applied-guardrails'), null)
    assert.equal(response.headers.get('x-litellm-applied-guardrails'), null)
  })
})
