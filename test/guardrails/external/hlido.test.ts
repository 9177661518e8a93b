// The Hlido agent-trust guardrail through a real gateway, the official OpenAI
// SDK as client, the fake OpenAI upstream and the fake Hlido API: the seed's
// runbook (klariqo 58 is refused before the model is called, try-sanebox 90
// answers), trusted subjects only, slugs that cannot leave their path, one
// lookup for a cold slug under load, failure policy, during_call, and an API
// key that is sent but never logged.
import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import type OpenAI from 'openai'
import { ConfigError } from '../../../src/config/load.ts'
import { apiFailure, startGateway, useServer, type TestGateway } from '../../helpers/gateway.ts'
import { startFakeHlido, type FakeHlido } from '../../servers/fake-hlido.ts'
import type { FakeOpenAI } from '../../servers/fake-openai.ts'
import { closedUrl, type Fault } from '../../servers/service-faults.ts'
import { namesIn, requestLog, setup } from '../support.ts'

const NAME = 'hlido-trust'

/** A config with model `gpt` on `upstream` and one Hlido guardrail, default on. */
function hlidoConfig(upstream: string, params: Record<string, unknown>): string {
  return JSON.stringify({
    model_list: [{ model_name: 'gpt', litellm_params: { model: 'openai/gpt-upstream', api_base: upstream, api_key: 'sk-deployment-secret' } }],
    router_settings: { num_retries: 0 },
    guardrails: [{ guardrail_name: NAME, litellm_params: { guardrail: 'hlido', mode: 'pre_call', default_on: true, ...params } }],
  })
}

const useHlido = (t: TestContext): Promise<FakeHlido> => useServer(t, startFakeHlido)

/** A fake Hlido, a fake upstream and a gateway whose guardrail has `params` (api_base set to the fake). */
async function trustGateway(t: TestContext, params: Record<string, unknown>, hlido?: FakeHlido): Promise<{ hlido: FakeHlido; fake: FakeOpenAI; gw: TestGateway; sdk: OpenAI }> {
  const h = hlido ?? (await useHlido(t))
  const { fake, gw } = await setup(t, (up) => hlidoConfig(up, { api_base: h.url, ...params }))
  return { hlido: h, fake, gw, sdk: gw.client() }
}

/** A chat call; `slugs` go in the request's metadata.hlido_slugs. */
function ask(sdk: OpenAI, slugs?: unknown) {
  return sdk.chat.completions
    .create({
      model: 'gpt',
      messages: [{ role: 'user', content: 'hi' }],
      // the SDK types metadata as string values; LiteLLM's gateway metadata is any JSON
      ...(slugs !== undefined ? { metadata: { hlido_slugs: slugs } as unknown as Record<string, string> } : {}),
    })
    .withResponse()
}

interface GuardrailErrorBody {
  message: string
  guardrail: { name: string; mode: string; reason: string; details?: { code?: string } }
}
const bodyOf = (err: { error: unknown }): GuardrailErrorBody => err.error as GuardrailErrorBody

describe('hlido through the gateway: the runbook', () => {
  test('configured slug: klariqo (58) is blocked before the model is called; try-sanebox (90) is answered', async (t) => {
    const hlido = await useHlido(t)
    const low = await trustGateway(t, { slugs: ['klariqo'] }, hlido)
    const err = await apiFailure(ask(low.sdk))
    assert.equal(err.status, 400)
    assert.equal(err.code, 'guardrail_blocked')
    const body = bodyOf(err)
    for (const part of [`"${NAME}"`, 'klariqo', '58', '60', 'https://hlido.eu/reviews/klariqo/']) assert.ok(body.message.includes(part), `${part} in ${body.message}`)
    assert.equal(body.guardrail.name, NAME)
    assert.equal(body.guardrail.mode, 'pre_call')
    assert.equal(body.guardrail.details?.code, 'untrusted_agent')
    assert.equal(low.fake.requests.length, 0, 'the upstream got no request')
    assert.deepEqual(namesIn(err.headers?.get('x-portcullis-applied-guardrails') ?? null), [NAME])

    const high = await trustGateway(t, { slugs: ['try-sanebox'] }, hlido)
    const { data, response } = await ask(high.sdk)
    assert.equal(response.status, 200)
    assert.equal(data.choices[0]?.message.content, 'fake: hi')
    assert.equal(high.fake.requests.length, 1)
    assert.deepEqual(namesIn(response.headers.get('x-portcullis-applied-guardrails')), [NAME])
    assert.deepEqual(namesIn(response.headers.get('x-litellm-applied-guardrails')), [NAME])
    assert.deepEqual(hlido.requests.map((r) => r.path), ['/v1/agents/klariqo', '/v1/agents/try-sanebox'])
  })

  test('trusted request slugs (metadata.hlido_slugs): klariqo is blocked, try-sanebox answered', async (t) => {
    const { fake, sdk, gw } = await trustGateway(t, { trust_request_slugs: true })
    const err = await apiFailure(ask(sdk, ['klariqo']))
    assert.equal(err.status, 400)
    assert.match(bodyOf(err).message, /klariqo.*58.*minimum score 60.*https:\/\/hlido\.eu\/reviews\/klariqo\//)
    assert.equal(fake.requests.length, 0)
    const { response } = await ask(sdk, ['try-sanebox'])
    assert.equal(response.status, 200)
    assert.equal(fake.requests.length, 1)
    assert.equal('metadata' in (fake.requests[0]?.body ?? {}), false, 'gateway metadata is not sent upstream')
    const log = await requestLog(gw, response.headers.get('x-request-id'))
    assert.deepEqual(log.guardrails?.map((d) => [d.name, d.mode, d.action]), [[NAME, 'pre_call', 'allow']])
  })
})

describe('hlido through the gateway: trusted subjects', () => {
  test("request slugs are ignored unless trust_request_slugs: the configured slug decides", async (t) => {
    const hlido = await useHlido(t)
    const ok = await trustGateway(t, { slugs: ['try-sanebox'] }, hlido)
    assert.equal((await ask(ok.sdk, ['klariqo'])).response.status, 200, 'naming a bad agent cannot block')
    const low = await trustGateway(t, { slugs: ['klariqo'] }, hlido)
    assert.equal((await apiFailure(ask(low.sdk, ['try-sanebox']))).status, 400, 'naming a good agent cannot pass')
    assert.deepEqual(hlido.requests.map((r) => r.path), ['/v1/agents/try-sanebox', '/v1/agents/klariqo'], 'the request slugs were never looked up')
  })

  test('no trusted subject: blocked by default (missing_subject), recorded as a flag with on_missing_subject: allow', async (t) => {
    const hlido = await useHlido(t)
    const closed = await trustGateway(t, {}, hlido)
    const err = await apiFailure(ask(closed.sdk, ['try-sanebox']))
    assert.equal(err.status, 400)
    assert.equal(bodyOf(err).guardrail.details?.code, 'missing_subject')
    assert.match(bodyOf(err).guardrail.reason, /no trusted subject.*trust_request_slugs is off/)
    assert.equal(closed.fake.requests.length, 0)

    const open = await trustGateway(t, { on_missing_subject: 'allow' }, hlido)
    const { response } = await ask(open.sdk)
    assert.equal(response.status, 200)
    const log = await requestLog(open.gw, response.headers.get('x-request-id'))
    assert.equal(log.guardrails?.[0]?.action, 'flag')
    assert.match(log.guardrails?.[0]?.reason ?? '', /no trusted subject/)
    assert.equal(hlido.requests.length, 0)
  })

  test('path traversal and over-long slugs are refused (400) with no lookup', async (t) => {
    const { hlido, fake, sdk } = await trustGateway(t, { trust_request_slugs: true })
    for (const slug of ['../admin', 'a/b', 'x?score=100', '%2e%2e', '.', '..', 'a'.repeat(129), 'try-sanebox/../klariqo', 'x#y']) {
      const err = await apiFailure(ask(sdk, [slug]))
      assert.equal(err.status, 400, slug)
      assert.equal(err.code, 'guardrail_blocked')
      assert.equal(bodyOf(err).guardrail.details?.code, 'invalid_subject', slug)
    }
    assert.equal(hlido.requests.length, 0, 'the fake Hlido saw no request')
    assert.equal(fake.requests.length, 0)
    // 128 characters is a valid slug: looked up (unverified, allowed and flagged)
    assert.equal((await ask(sdk, ['a'.repeat(128)])).response.status, 200)
    assert.deepEqual(hlido.requests.map((r) => r.path), [`/v1/agents/${'a'.repeat(128)}`])
  })

  test('more than max_request_slugs is a 400 before any lookup', async (t) => {
    const { hlido, fake, sdk } = await trustGateway(t, { trust_request_slugs: true, max_request_slugs: 3 })
    const err = await apiFailure(ask(sdk, ['try-sanebox', 'steady-one', 'no-tier', 'klariqo']))
    assert.equal(err.status, 400)
    assert.equal(bodyOf(err).guardrail.details?.code, 'too_many_subjects')
    assert.match(bodyOf(err).message, /4 agents.*at most 3/)
    assert.equal(hlido.requests.length, 0)
    assert.equal(fake.requests.length, 0)
    assert.equal((await ask(sdk, ['try-sanebox', 'steady-one', 'no-tier'])).response.status, 200)
    assert.equal(hlido.requests.length, 3)
  })

  test('40 concurrent calls for a cold slug make exactly one lookup', async (t) => {
    const { hlido, fake, sdk } = await trustGateway(t, { slugs: ['try-sanebox'] })
    hlido.delayMs = 200
    const answers = await Promise.all(Array.from({ length: 40 }, () => ask(sdk)))
    assert.ok(answers.every((a) => a.response.status === 200))
    assert.equal(hlido.lookups('try-sanebox'), 1)
    assert.equal(fake.requests.length, 40)
  })

  test('on_unverified: allow answers and records a flag; block refuses', async (t) => {
    const hlido = await useHlido(t)
    const open = await trustGateway(t, { slugs: ['nobody'] }, hlido)
    const { response } = await ask(open.sdk)
    assert.equal(response.status, 200)
    const log = await requestLog(open.gw, response.headers.get('x-request-id'))
    assert.equal(log.guardrails?.[0]?.action, 'flag')
    assert.match(log.guardrails?.[0]?.reason ?? '', /unverified.*"nobody"/)

    const closed = await trustGateway(t, { slugs: ['nobody'], on_unverified: 'block' }, hlido)
    const err = await apiFailure(ask(closed.sdk))
    assert.equal(err.status, 400)
    assert.equal(bodyOf(err).guardrail.details?.code, 'unverified_agent')
    assert.equal(closed.fake.requests.length, 0)
  })

  test('allowed_tiers (any case) and a tier derived from the score', async (t) => {
    const { sdk } = await trustGateway(t, { trust_request_slugs: true, allowed_tiers: ['vital', 'steady'] })
    assert.equal((await ask(sdk, ['no-tier'])).response.status, 200, '75 without a tier is STEADY')
    const err = await apiFailure(ask(sdk, ['no-tier-low']))
    assert.match(bodyOf(err).message, /"no-tier-low" scores 35 \(tier FLATLINE, from the score\).*allowed tiers VITAL, STEADY/)
  })
})

describe('hlido through the gateway: failure policy', () => {
  const faults: Array<[string, Fault | 'down']> = [
    ['down', 'down'],
    ['slow', { kind: 'slow', ms: 1500 }],
    ['answering HTML', { kind: 'html' }],
    ['answering 500', { kind: 'status', status: 500 }],
    ['answering truncated JSON', { kind: 'truncated' }],
  ]
  for (const [what, fault] of faults) {
    test(`Hlido ${what}: fails closed (503) by default, open (200, unevaluated) with on_error: allow`, async (t) => {
      const hlido = await useHlido(t)
      if (fault !== 'down') hlido.fault = fault
      const apiBase = fault === 'down' ? await closedUrl() : hlido.url
      const closed = await trustGateway(t, { slugs: ['try-sanebox'], api_base: apiBase, timeout: 0.5 }, hlido)
      const err = await apiFailure(ask(closed.sdk))
      assert.equal(err.status, 503)
      assert.equal(err.code, 'guardrail_unavailable')
      assert.match(bodyOf(err).message, new RegExp(`"${NAME}"`))
      assert.equal(closed.fake.requests.length, 0, 'fail closed: the model was not called')

      const open = await trustGateway(t, { slugs: ['try-sanebox'], api_base: apiBase, timeout: 0.5, on_error: 'allow' }, hlido)
      const { data, response } = await ask(open.sdk)
      assert.equal(response.status, 200)
      assert.equal(data.choices[0]?.message.content, 'fake: hi')
      const log = await requestLog(open.gw, response.headers.get('x-request-id'))
      assert.deepEqual(log.guardrails?.map((d) => [d.name, d.action]), [[NAME, 'unevaluated']])
    })
  }

  for (const key of ['on_unverified', 'on_missing_subject', 'on_error']) {
    test(`a typo in ${key} is a start-up error naming the key`, async (t) => {
      const hlido = await useHlido(t)
      await assert.rejects(
        startGateway(hlidoConfig('http://127.0.0.1:9/v1', { api_base: hlido.url, slugs: ['klariqo'], [key]: 'alow' })),
        (err: unknown) => err instanceof ConfigError && err.message.includes(key),
      )
    })
  }
})

describe('hlido through the gateway: during_call and secrets', () => {
  test('during_call blocks and is named in x-portcullis-applied-guardrails, blocked or not', async (t) => {
    const hlido = await useHlido(t)
    const low = await trustGateway(t, { slugs: ['klariqo'], mode: 'during_call' }, hlido)
    const err = await apiFailure(ask(low.sdk))
    assert.equal(err.status, 400)
    assert.equal(bodyOf(err).guardrail.mode, 'during_call')
    assert.match(bodyOf(err).message, /klariqo.*58/)
    assert.deepEqual(namesIn(err.headers?.get('x-portcullis-applied-guardrails') ?? null), [NAME])
    assert.deepEqual(namesIn(err.headers?.get('x-litellm-applied-guardrails') ?? null), [NAME])

    const high = await trustGateway(t, { slugs: ['try-sanebox'], mode: 'during_call' }, hlido)
    const { response } = await ask(high.sdk)
    assert.equal(response.status, 200)
    assert.deepEqual(namesIn(response.headers.get('x-portcullis-applied-guardrails')), [NAME])
    const log = await requestLog(high.gw, response.headers.get('x-request-id'))
    assert.deepEqual(log.guardrails?.map((d) => [d.name, d.mode, d.action]), [[NAME, 'during_call', 'allow']])
  })

  test('the API key is sent as a bearer token but never logged, not even when the service echoes it', async (t) => {
    const KEY = 'hk-live-6f1c0ffee5ecret'
    const hlido = await useHlido(t)
    const { gw, sdk } = await trustGateway(t, { slugs: ['try-sanebox'], api_key: KEY }, hlido)
    assert.equal((await ask(sdk)).response.status, 200)
    assert.equal(hlido.requests[0]?.headers.authorization, `Bearer ${KEY}`)

    const echo = await trustGateway(t, { slugs: ['klariqo'], api_key: KEY }, hlido)
    hlido.fault = { kind: 'status', status: 500, body: JSON.stringify({ error: `bad key Bearer ${KEY}` }) }
    const err = await apiFailure(ask(echo.sdk))
    assert.equal(err.status, 503)
    assert.ok(!JSON.stringify(err.error).includes(KEY), 'not in the answer')
    await requestLog(echo.gw, err.headers?.get('x-request-id') ?? null)
    for (const logs of [gw.logs, echo.gw.logs]) {
      assert.ok(logs.length > 0)
      assert.ok(!logs.some((l) => l.includes(KEY)), 'not in any log line')
    }
  })
})
