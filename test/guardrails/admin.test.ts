// LiteLLM's guardrail admin routes: GET /guardrails/list names the configured
// guardrails (types, modes, default_on — never their params), and
// POST /guardrails/apply_guardrail runs one on a text by hand. Both need the
// master key when one is configured.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { config, post, setup } from './support.ts'

const MASTER = 'sk-master-guardrails-0123456789'
const AUTH = { authorization: `Bearer ${MASTER}` }

const guarded = (up: string, general?: Record<string, unknown>): string =>
  config({
    upstream: up,
    ...(general ? { general } : {}),
    guardrails: [
      { name: 'mask', fixture: 'word', mode: ['pre_call', 'post_call'], default_on: true, word: 'sesame', replacement: '******' },
      { name: 'stopper', fixture: 'word', mode: 'pre_call', word: 'forbidden', action: 'block', on_error: 'allow' },
      { name: 'out-mask', fixture: 'word', mode: 'post_call', word: 'quokka', only: 'output', on_block: 'refusal' },
    ],
  })

describe('GET /guardrails/list', () => {
  test('names, types, modes and default_on of every guardrail, and none of their params; needs the master key', async (t) => {
    const { gw } = await setup(t, (up) => guarded(up, { master_key: MASTER }))
    const anonymous = await fetch(`${gw.url}/guardrails/list`)
    assert.equal(anonymous.status, 401)
    assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'invalid_api_key')
    const wrong = await fetch(`${gw.url}/guardrails/list`, { headers: { authorization: 'Bearer sk-wrong' } })
    assert.equal(wrong.status, 401)
    await wrong.arrayBuffer()

    const res = await fetch(`${gw.url}/guardrails/list`, { headers: AUTH })
    assert.equal(res.status, 200)
    const text = await res.text()
    const body = JSON.parse(text) as { guardrails: Array<{ guardrail_name: string; litellm_params: Record<string, unknown> }> }
    assert.deepEqual(
      body.guardrails.map((g) => [g.guardrail_name, g.litellm_params.guardrail, g.litellm_params.mode, g.litellm_params.default_on]),
      [
        ['mask', 'custom', ['pre_call', 'post_call'], true],
        ['stopper', 'custom', ['pre_call'], false],
        ['out-mask', 'custom', ['post_call'], false],
      ],
    )
    assert.equal(body.guardrails[1]?.litellm_params.on_error, 'allow')
    assert.equal(body.guardrails[2]?.litellm_params.on_block, 'refusal')
    assert.doesNotMatch(text, /sesame|forbidden|fixtures|word\.ts/, 'no guardrail params (they may hold secrets)')
  })

  test('is open when no master key is configured', async (t) => {
    const { gw } = await setup(t, (up) => guarded(up))
    const res = await fetch(`${gw.url}/guardrails/list`)
    assert.equal(res.status, 200)
    assert.equal(((await res.json()) as { guardrails: unknown[] }).guardrails.length, 3)
  })
})

describe('POST /guardrails/apply_guardrail', () => {
  test('rewrites a text, answers a block as the 400 block error, 404 for an unknown guardrail; needs the master key', async (t) => {
    const { fake, gw } = await setup(t, (up) => guarded(up, { master_key: MASTER }))

    const masked = await post(gw, '/guardrails/apply_guardrail', { guardrail_name: 'mask', text: 'open sesame now' }, AUTH)
    assert.equal(masked.status, 200)
    assert.deepEqual(masked.json(), { response_text: 'open ****** now' })

    const untouched = await post(gw, '/guardrails/apply_guardrail', { guardrail_name: 'mask', text: 'nothing here' }, AUTH)
    assert.deepEqual(untouched.json(), { response_text: 'nothing here' })

    // a guardrail with only checkOutput is applied as post_call
    const outOnly = await post(gw, '/guardrails/apply_guardrail', { guardrail_name: 'out-mask', text: 'a quokka' }, AUTH)
    assert.deepEqual(outOnly.json(), { response_text: 'a [MASKED]' })

    const blocked = await post(gw, '/guardrails/apply_guardrail', { guardrail_name: 'stopper', text: 'the forbidden word' }, AUTH)
    assert.equal(blocked.status, 400)
    const error = blocked.json().error as Record<string, unknown>
    assert.equal(error.code, 'guardrail_blocked')
    assert.equal(error.type, 'invalid_request_error')
    assert.match(error.message as string, /stopper/)
    assert.deepEqual(error.guardrail, { name: 'stopper', mode: 'pre_call', reason: 'found a banned word (1x)' })

    const unknown = await post(gw, '/guardrails/apply_guardrail', { guardrail_name: 'nope', text: 'x' }, AUTH)
    assert.equal(unknown.status, 404)
    assert.equal(unknown.json().error.code, 'unknown_guardrail')

    const noText = await post(gw, '/guardrails/apply_guardrail', { guardrail_name: 'mask' }, AUTH)
    assert.equal(noText.status, 400)
    assert.equal(noText.json().error.param, 'text')
    const noName = await post(gw, '/guardrails/apply_guardrail', { text: 'x' }, AUTH)
    assert.equal(noName.status, 400)
    assert.equal(noName.json().error.param, 'guardrail_name')

    const anonymous = await post(gw, '/guardrails/apply_guardrail', { guardrail_name: 'mask', text: 'open sesame' })
    assert.equal(anonymous.status, 401)
    assert.doesNotMatch(anonymous.text, /sesame/)

    assert.equal(fake.requests.length, 0, 'applying a guardrail never calls a model')
  })
})
