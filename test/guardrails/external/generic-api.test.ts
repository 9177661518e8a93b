// The `generic_guardrail_api` guardrail (LiteLLM's Generic Guardrail API)
// against a fake service, through a real gateway read with the official SDK:
// BLOCKED / NONE / GUARDRAIL_INTERVENED (texts written back 1:1, what the
// model and the client see), a count mismatch failing closed, the request body
// (texts, structured messages, tools, request_data, call ids, extra params and
// headers) in both directions, and failures going through on_error.
import { describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, parseConfig } from '../../../src/config/load.ts'
import { ServiceError } from '../../../src/guardrails/external/service.ts'
import { buildRequest, createGenericGuardrailApi, requestData, verdictOf } from '../../../src/guardrails/external/generic-api.ts'
import { ParamError } from '../../../src/guardrails/factory.ts'
import { createApp } from '../../../src/app.ts'
import { createLogger } from '../../../src/telemetry/logger.ts'
import { apiFailure, useServer, type TestGateway } from '../../helpers/gateway.ts'
import { GENERIC_PATH, startFakeGenericGuardrail, type FakeGenericGuardrail } from '../../servers/fake-generic-guardrail.ts'
import type { FakeOpenAI } from '../../servers/fake-openai.ts'
import { closedUrl } from '../../servers/service-faults.ts'
import { chatBody, config, contents, failsClosedThenOpen, type GuardrailDef, metric, type Mode, requestLog, setup } from '../support.ts'
import { guardContext, texts } from '../unit/helpers.ts'

type Def = { name: string; mode: Mode; [param: string]: unknown }

/** A generic_guardrail_api guardrail; a generous timeout unless a test sets one (a loaded machine must not turn a check into a timeout). */
const def = (d: Def): GuardrailDef => ({ type: 'generic_guardrail_api', timeout: 10, ...d })

/** A fake service, a fake upstream and a gateway with the guardrails `defs(service url)`, all closed when the test ends. */
async function env(t: TestContext, defs: (url: string) => Def[]): Promise<{ svc: FakeGenericGuardrail; fake: FakeOpenAI; gw: TestGateway }> {
  const svc = await useServer(t, startFakeGenericGuardrail)
  const { fake, gw } = await setup(t, (up) => config({ upstream: up, guardrails: defs(svc.url).map(def) }))
  return { svc: svc, fake, gw }
}

describe('generic_guardrail_api: actions', () => {
  test('BLOCKED is a 400 with blocked_reason; the model is never called', async (t) => {
    const { svc, fake, gw } = await env(t, (url) => [{ name: 'ggapi', api_base: url, mode: 'pre_call', default_on: true }])
    const err = await apiFailure(gw.client().chat.completions.create(chatBody('an ATTACK prompt')))
    assert.equal(err.status, 400)
    assert.equal(err.code, 'guardrail_blocked')
    assert.match((err.error as { message: string }).message, /blocked by guardrail "ggapi" \(pre_call\): jailbreak attempt detected by the fake service/)
    assert.equal(fake.requests.length, 0)
    assert.equal(svc.requests[0]?.path, GENERIC_PATH)
    const log = await requestLog(gw, err.headers?.get('x-request-id') ?? null)
    assert.deepEqual(log.guardrails?.map((d) => [d.name, d.action, d.reason]), [['ggapi', 'block', 'jailbreak attempt detected by the fake service']])
  })

  test('NONE lets the call through untouched', async (t) => {
    const { svc, fake, gw } = await env(t, (url) => [{ name: 'ggapi', api_base: url, mode: 'pre_call', default_on: true }])
    const { data, response } = await gw.client().chat.completions.create(chatBody('hello')).withResponse()
    assert.equal(data.choices[0]?.message.content, 'fake: hello')
    assert.deepEqual(contents(fake.requests[0]!.body), ['hello'])
    assert.equal(svc.requests.length, 1)
    const log = await requestLog(gw, response.headers.get('x-request-id'))
    assert.deepEqual(log.guardrails?.map((d) => [d.name, d.action]), [['ggapi', 'allow']])
  })

  test('GUARDRAIL_INTERVENED texts are written back 1:1: the model sees them', async (t) => {
    const { fake, gw } = await env(t, (url) => [{ name: 'ggapi', api_base: url, mode: 'pre_call', default_on: true }])
    const { data, response } = await gw
      .client()
      .chat.completions.create({
        model: 'gpt',
        messages: [
          { role: 'system', content: 'never say secret-token' },
          { role: 'user', content: [{ type: 'text', text: 'plain' }, { type: 'text', text: 'my secret-token is here' }] },
        ],
      })
      .withResponse()
    const sent = fake.requests[0]!.body.messages as Array<{ content: unknown }>
    assert.equal(sent[0]?.content, 'never say [MASKED]')
    assert.deepEqual(sent[1]?.content, [
      { type: 'text', text: 'plain' },
      { type: 'text', text: 'my [MASKED] is here' },
    ])
    // the fake model answers with the last user message's text parts joined
    assert.equal(data.choices[0]?.message.content, 'fake: plainmy [MASKED] is here')
    const log = await requestLog(gw, response.headers.get('x-request-id'))
    assert.deepEqual(log.guardrails?.map((d) => [d.name, d.action, d.findings]), [['ggapi', 'rewrite', 2]])
  })

  test('a GUARDRAIL_INTERVENED answer with the wrong number of texts fails closed (503, invalid_shape) — never a silent pass', async (t) => {
    const { svc, fake, gw } = await env(t, (url) => [
      { name: 'closed', api_base: url, mode: 'pre_call' },
      { name: 'open', api_base: url, mode: 'pre_call', on_error: 'allow' },
    ])
    svc.wrongCount = true
    const err = await apiFailure(gw.client().chat.completions.create(chatBody('my secret-token', ['closed'])))
    assert.equal(err.status, 503)
    assert.equal(err.code, 'guardrail_unavailable')
    assert.match((err.error as { message: string }).message, /GUARDRAIL_INTERVENED returned 2 text\(s\) for the 1 sent/)
    assert.equal(fake.requests.length, 0)
    assert.equal(await metric(gw, 'guardrail_errors_total', { guardrail: 'closed', mode: 'pre_call', kind: 'invalid_shape' }), 1)
    // fail open is explicit and recorded
    const { response } = await gw.client().chat.completions.create(chatBody('my secret-token', ['open'])).withResponse()
    const log = await requestLog(gw, response.headers.get('x-request-id'))
    assert.deepEqual(log.guardrails?.map((d) => [d.name, d.action]), [['open', 'unevaluated']])
  })

  test('an unknown action is an invalid shape, not an allow', async (t) => {
    const { svc, fake, gw } = await env(t, (url) => [{ name: 'ggapi', api_base: url, mode: 'pre_call', default_on: true }])
    svc.fault = { kind: 'status', status: 200, body: JSON.stringify({ action: 'MAYBE' }) }
    const err = await apiFailure(gw.client().chat.completions.create(chatBody('hello')))
    assert.equal(err.status, 503)
    assert.equal(fake.requests.length, 0)
    assert.equal(await metric(gw, 'guardrail_errors_total', { guardrail: 'ggapi', mode: 'pre_call', kind: 'invalid_shape' }), 1)
  })
})

describe('generic_guardrail_api: what is sent', () => {
  test('texts, structured_messages, tools, tool_calls, request_data, call ids, extra params and headers; api_key as a Bearer token', async (t) => {
    const { svc, gw } = await env(t, (url) => [
      {
        name: 'ggapi',
        api_base: url,
        mode: 'pre_call',
        default_on: true,
        api_key: 'sk-generic-secret-77',
        headers: { 'x-tenant': 'acme', 'X-Region': 'eu' },
        additional_provider_specific_params: { threshold: 0.7, categories: ['pii'] },
      },
    ])
    const tools = [{ type: 'function' as const, function: { name: 'lookup', description: 'find', parameters: { type: 'object', properties: {} } } }]
    const messages = [
      { role: 'system' as const, content: 'be brief' },
      { role: 'user' as const, content: [{ type: 'text' as const, text: 'look at this' }, { type: 'image_url' as const, image_url: { url: 'https://img.example/cat.png' } }] },
      { role: 'assistant' as const, content: null, tool_calls: [{ id: 'call_1', type: 'function' as const, function: { name: 'lookup', arguments: '{"q":"cat"}' } }] },
      { role: 'tool' as const, tool_call_id: 'call_1', content: 'a cat' },
    ]
    const { response } = await gw.client().chat.completions.create({ model: 'gpt', messages, tools, user: 'end-user-42' }).withResponse()
    const r = svc.requests[0]
    assert.ok(r)
    assert.equal(r.path, GENERIC_PATH)
    assert.equal(r.headers.authorization, 'Bearer sk-generic-secret-77')
    assert.equal(r.headers['x-tenant'], 'acme')
    assert.equal(r.headers['x-region'], 'eu')
    assert.match(String(r.headers['content-type']), /application\/json/)
    const b = r.body
    assert.deepEqual(b.texts, ['be brief', 'look at this', '{"q":"cat"}', 'a cat'])
    assert.equal(b.input_type, 'request')
    assert.deepEqual(b.structured_messages, messages)
    assert.deepEqual(b.tools, tools)
    assert.deepEqual(b.tool_calls, [{ type: 'function', function: { name: 'lookup', arguments: '{"q":"cat"}' } }])
    assert.deepEqual(b.images, ['https://img.example/cat.png'])
    assert.deepEqual(b.additional_provider_specific_params, { threshold: 0.7, categories: ['pii'] })
    const id = response.headers.get('x-request-id')
    assert.ok(id)
    assert.equal(b.litellm_call_id, id)
    assert.equal(b.litellm_trace_id, id)
    assert.deepEqual(b.request_data, {
      user_api_key_hash: null,
      user_api_key_alias: null,
      user_id: null,
      team_id: null,
      end_user_id: 'end-user-42',
      user_api_key_user_id: null,
      user_api_key_team_id: null,
      user_api_key_end_user_id: 'end-user-42',
    })
    assert.ok(!gw.logs.some((l) => l.includes('sk-generic-secret-77')), 'no log line holds the key')
  })

  test('the response direction in post_call: input_type response, the answer texts; an intervention reaches the client', async (t) => {
    const { svc, fake, gw } = await env(t, (url) => [{ name: 'ggapi-out', api_base: url, mode: 'post_call', default_on: true }])
    const r = await gw.client().chat.completions.create(chatBody('echo secret-token'))
    assert.equal(r.choices[0]?.message.content, 'fake: echo [MASKED]')
    assert.equal(fake.requests.length, 1)
    assert.deepEqual(contents(fake.requests[0]!.body), ['echo secret-token'], 'post_call does not touch the request')
    assert.equal(svc.requests.length, 1)
    assert.equal(svc.requests[0]?.body.input_type, 'response')
    assert.deepEqual(svc.requests[0]?.body.texts, ['fake: echo secret-token'])
    assert.equal(svc.requests[0]?.body.structured_messages, undefined)

    const err = await apiFailure(gw.client().chat.completions.create(chatBody('say ATTACK')))
    assert.equal(err.status, 400)
    assert.deepEqual((err.error as { guardrail: unknown }).guardrail, { name: 'ggapi-out', mode: 'post_call', reason: 'jailbreak attempt detected by the fake service' })
  })

  test('an api_base that is the full endpoint URL works too (LiteLLM accepts it)', async (t) => {
    const { svc, gw } = await env(t, (url) => [{ name: 'ggapi', api_base: url + GENERIC_PATH, mode: 'pre_call', default_on: true }])
    await gw.client().chat.completions.create(chatBody('hello'))
    assert.equal(svc.requests[0]?.path, GENERIC_PATH)
  })
})

describe('generic_guardrail_api: failures and config', () => {
  test('a service that is down fails closed by default, open with unreachable_fallback: fail_open', async (t) => {
    const down = await closedUrl()
    await failsClosedThenOpen(
      t,
      { closed: def({ name: 'closed', api_base: down, mode: 'pre_call' }), open: def({ name: 'open', api_base: down, mode: 'pre_call', unreachable_fallback: 'fail_open' }) },
      'hello',
      'connect',
    )
  })

  test('a 500 with the key in its body fails closed without showing the key', async (t) => {
    const { svc, gw } = await env(t, (url) => [{ name: 'ggapi', api_base: url, mode: 'pre_call', default_on: true, api_key: 'sk-generic-secret-88' }])
    svc.fault = { kind: 'status', status: 500, body: '{"error":"bad key sk-generic-secret-88"}' }
    const err = await apiFailure(gw.client().chat.completions.create(chatBody('hello')))
    assert.equal(err.status, 503)
    assert.ok(!JSON.stringify(err.error).includes('sk-generic-secret-88'))
    await requestLog(gw, err.headers?.get('x-request-id') ?? null)
    assert.ok(!gw.logs.some((l) => l.includes('sk-generic-secret-88')))
    assert.equal(await metric(gw, 'guardrail_errors_total', { guardrail: 'ggapi', mode: 'pre_call', kind: 'http_status' }), 1)
  })

  test('ftp:// api_base stops the start with a config error naming api_base', async () => {
    const text = JSON.stringify({
      model_list: [{ model_name: 'echo', litellm_params: { model: 'echo/echo' } }],
      guardrails: [{ guardrail_name: 'ggapi', litellm_params: { guardrail: 'generic_guardrail_api', mode: 'pre_call', api_base: 'ftp://guard.example.com' } }],
    })
    const { config, lineOf } = parseConfig(text, '/tmp/generic-test.yaml', {})
    await assert.rejects(
      async () => (await createApp(config, { logger: createLogger({ level: 'silent' }), lineOf, storage: false })).shutdown(100),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError)
        assert.match(err.issues[0]?.message ?? '', /api_base must be http or https/)
        assert.equal(err.issues[0]?.path, 'guardrails[0].litellm_params.api_base')
        return true
      },
    )
  })

  test('bad params name their key; plain http to a remote host warns', async () => {
    const make = (p: Record<string, unknown>, warn?: (k: string, m: string) => void) => createGenericGuardrailApi(p, { name: 'g', configDir: '/', ...(warn ? { warn } : {}) })
    const rejects = async (p: Record<string, unknown>, key: string) =>
      assert.rejects(async () => make(p), (e: unknown) => e instanceof ParamError && e.key === key, `expected a ParamError on ${key}`)
    await rejects({}, 'api_base')
    await rejects({ api_base: 'https://g.example', headers: { 'bad header': 'x' } }, 'headers.bad header')
    await rejects({ api_base: 'https://g.example', headers: { 'x-a': 'one\r\ntwo' } }, 'headers.x-a')
    await rejects({ api_base: 'https://g.example', headers: { 'Content-Type': 'text/plain' } }, 'headers.Content-Type')
    await rejects({ api_base: 'https://g.example', headers: { Authorization: 'Bearer x' }, api_key: 'y' }, 'api_key')
    await rejects({ api_base: 'https://g.example', additional_provider_specific_params: 'nope' }, 'additional_provider_specific_params')
    const warnings: string[] = []
    const g = await make({ api_base: 'http://10.0.0.8:9000' }, (k, m) => warnings.push(`${k}: ${m}`))
    await g.close?.()
    assert.equal(warnings.length, 1)
    assert.match(warnings[0] ?? '', /^api_base: .*plain http to a non-loopback host/)
  })
})

describe('generic_guardrail_api: units', () => {

  test('request_data comes from the server-trusted caller, never from client metadata', () => {
    const d = requestData(
      guardContext({
        caller: { user_api_key_hash: 'h1', key_alias: 'team-key', user_id: 'u1', team_id: 't1' },
        requestMetadata: { user_id: 'spoofed', team_id: 'spoofed' },
        request: { user: 'eu-1' },
      }),
    )
    assert.deepEqual(d, {
      user_api_key_hash: 'h1',
      user_api_key_alias: 'team-key',
      user_id: 'u1',
      team_id: 't1',
      end_user_id: 'eu-1',
      user_api_key_user_id: 'u1',
      user_api_key_team_id: 't1',
      user_api_key_end_user_id: 'eu-1',
    })
  })

  test('buildRequest: the response direction sends no structured messages; optional fields are left out when empty', () => {
    const b = buildRequest(texts('answer'), guardContext({ mode: 'post_call', request: { messages: [{ role: 'user', content: 'q' }] } }), 'response', {})
    assert.deepEqual(Object.keys(b).sort(), ['additional_provider_specific_params', 'input_type', 'litellm_call_id', 'litellm_trace_id', 'request_data', 'texts'])
    assert.equal(b.input_type, 'response')
    const e = buildRequest(texts('a', 'b'), guardContext({ callType: 'embeddings', request: { input: ['a', 'b'] } }), 'request', { k: 1 })
    assert.equal(e.structured_messages, undefined)
    assert.deepEqual(e.additional_provider_specific_params, { k: 1 })
  })

  test('verdictOf: NONE allows, BLOCKED blocks, INTERVENED rewrites 1:1 or is an invalid shape', () => {
    assert.deepEqual(verdictOf({ action: 'NONE' }, texts('a')), { action: 'allow' })
    assert.deepEqual(verdictOf({ action: 'BLOCKED', blocked_reason: null }, texts('a')), { action: 'block', reason: 'blocked by the guardrail service (it gave no reason)' })
    const rw = verdictOf({ action: 'GUARDRAIL_INTERVENED', texts: ['a', 'B'] }, texts('a', 'b'))
    assert.deepEqual(rw.action === 'rewrite' && [rw.texts, rw.findings], [['a', 'B'], [{ type: 'guardrail_intervened', index: 1 }]])
    assert.equal(verdictOf({ action: 'GUARDRAIL_INTERVENED', texts: ['a'] }, texts('a')).action, 'flag')
    for (const bad of [{ action: 'GUARDRAIL_INTERVENED' as const }, { action: 'GUARDRAIL_INTERVENED' as const, texts: ['x'] }]) {
      assert.throws(() => verdictOf(bad, texts('a', 'b')), (e: unknown) => e instanceof ServiceError && e.kind === 'invalid_shape')
    }
  })
})
