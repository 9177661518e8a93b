// The master key: every OpenAI route needs it, health and metrics do not, and
// neither it nor the deployment keys leak into logs, error bodies or upstreams.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import OpenAI from 'openai'
import { echoModel, useGateway, useSharedGateway } from '../helpers/gateway.ts'

const MASTER = 'sk-master-7f3a9c21e4b8'
const DEPLOYMENT_KEY = 'sk-deployment-secret-gpt' // what openaiModel('gpt', …) configures

// echo, and gpt on the fake upstream
const shared = useSharedGateway({ sections: `general_settings:\n  master_key: ${MASTER}\n` })

interface Route {
  method: 'GET' | 'POST'
  path: string
  body?: unknown
}

const chatBody = { model: 'echo', messages: [{ role: 'user', content: 'hi' }] }
const ROUTES: Route[] = ['/v1', ''].flatMap((p) => [
  { method: 'POST', path: `${p}/chat/completions`, body: chatBody },
  { method: 'POST', path: `${p}/chat/completions`, body: { ...chatBody, stream: true } },
  { method: 'POST', path: `${p}/completions`, body: { model: 'echo', prompt: 'hi' } },
  { method: 'POST', path: `${p}/embeddings`, body: { model: 'echo', input: 'hi' } },
  { method: 'GET', path: `${p}/models` },
  { method: 'GET', path: `${p}/models/echo` },
])

async function call(r: Route, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(shared.gw.url + r.path, {
    method: r.method,
    headers: r.body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(r.body === undefined ? {} : { body: JSON.stringify(r.body) }),
  })
  return { status: res.status, text: await res.text() }
}

function assertAuthError(text: string, what: string): void {
  const body = JSON.parse(text) as { error?: Record<string, unknown> }
  assert.ok(body.error, `${what}: an OpenAI error body`)
  assert.equal(body.error.type, 'authentication_error', what)
  assert.equal(typeof body.error.message, 'string', what)
  assert.ok('param' in body.error && 'code' in body.error, `${what}: param and code present`)
}

describe('with a master key', () => {
  test('every OpenAI route without Authorization answers 401 authentication_error', async () => {
    for (const r of ROUTES) {
      const res = await call(r)
      assert.equal(res.status, 401, `${r.method} ${r.path}`)
      assertAuthError(res.text, `${r.method} ${r.path}`)
    }
  })

  test('every OpenAI route with a wrong key answers 401, and the error names neither key', async () => {
    for (const r of ROUTES) {
      const res = await call(r, { authorization: 'Bearer sk-wrong-key-123456' })
      assert.equal(res.status, 401, `${r.method} ${r.path}`)
      assertAuthError(res.text, `${r.method} ${r.path}`)
      assert.ok(!res.text.includes(MASTER) && !res.text.includes('sk-wrong-key-123456'))
    }
    // a key that is a prefix of the master key, or the master key without Bearer, is still wrong
    for (const authorization of [`Bearer ${MASTER.slice(0, -1)}`, MASTER, `Basic ${MASTER}`, 'Bearer ']) {
      const res = await call(ROUTES[0] as Route, { authorization })
      assert.equal(res.status, 401, JSON.stringify(authorization))
    }
  })

  test('every OpenAI route with the master key is served', async () => {
    for (const r of ROUTES) {
      const res = await call(r, { authorization: `Bearer ${MASTER}` })
      assert.equal(res.status, 200, `${r.method} ${r.path}: ${res.text.slice(0, 200)}`)
    }
  })

  test('a request without a key is refused before its body is looked at', async () => {
    // An anonymous caller learns nothing about the body's validity and gets no work done.
    const res = await fetch(`${shared.gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' })
    assert.equal(res.status, 401)
    assertAuthError(await res.text(), 'malformed body, no key')
    const unknownModel = await call({ method: 'POST', path: '/v1/chat/completions', body: { ...chatBody, model: 'nope' } })
    assert.equal(unknownModel.status, 401)
    const huge = await call({ method: 'POST', path: '/v1/chat/completions', body: { ...chatBody, padding: 'x'.repeat(17 * 1048576) } })
    assert.equal(huge.status, 401)
  })

  test('the SDK with the wrong key raises AuthenticationError; with the master key it works', async () => {
    await assert.rejects(shared.gw.client('sk-not-the-master').chat.completions.create(chatBody as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming), (err: unknown) => {
      assert.ok(err instanceof OpenAI.AuthenticationError)
      assert.equal(err.status, 401)
      assert.equal(err.type, 'authentication_error')
      return true
    })
    const ok = await shared.gw.client(MASTER).chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'let me in' }] })
    assert.equal(ok.choices[0]?.message.content, 'echo: let me in')
  })

  test('health and metrics stay open', async () => {
    for (const path of ['/health/liveliness', '/health/readiness', '/metrics']) {
      const res = await fetch(shared.gw.url + path)
      assert.equal(res.status, 200, path)
      await res.arrayBuffer()
    }
  })

  test('upstreams get the deployment key, never the master key', async () => {
    const res = await shared.gw.client(MASTER).chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'via upstream' }] })
    assert.equal(res.choices[0]?.message.content, 'fake: via upstream')
    const s = await shared.gw.client(MASTER).chat.completions.create({ model: 'gpt', stream: true, messages: [{ role: 'user', content: 'stream' }] })
    for await (const _ of s) void _
    await shared.gw.client(MASTER).embeddings.create({ model: 'gpt', input: 'e', encoding_format: 'float' })
    assert.ok(shared.fake.requests.length >= 3)
    for (const r of shared.fake.requests) {
      assert.equal(r.headers.authorization, `Bearer ${DEPLOYMENT_KEY}`)
      assert.ok(!JSON.stringify(r).includes(MASTER), `the master key went upstream in ${r.path}`)
    }
  })

  test('an upstream error that echoes the deployment key reaches the client scrubbed', async () => {
    shared.fake.queue({ kind: 'status', status: 401, body: { error: { message: `Incorrect API key provided: ${DEPLOYMENT_KEY}`, type: 'invalid_request_error', code: 'invalid_api_key' } } })
    const res = await call({ method: 'POST', path: '/v1/chat/completions', body: { model: 'gpt', messages: [{ role: 'user', content: 'x' }] } }, { authorization: `Bearer ${MASTER}` })
    assert.ok(res.status >= 400 && res.status < 600)
    const body = JSON.parse(res.text) as { error: { message: string } }
    assert.match(body.error.message, /Incorrect API key provided/)
    assert.ok(!res.text.includes(DEPLOYMENT_KEY), `the deployment key leaked: ${res.text}`)
  })

  test('neither the master key nor the deployment key is in the logs', () => {
    assert.ok(shared.gw.logs.length > 0)
    const all = shared.gw.logs.join('\n')
    assert.ok(!all.includes(MASTER), 'master key in logs')
    assert.ok(!all.includes(DEPLOYMENT_KEY), 'deployment key in logs')
  })
})

describe('without a master key', () => {
  test('the OpenAI routes are open, whatever key the client sends', async (t) => {
    const open = await useGateway(t, `model_list:\n${echoModel()}`)
    const res = await fetch(`${open.url}/v1/models`)
    assert.equal(res.status, 200)
    await res.arrayBuffer()
    const chat = await open.client('anything').chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'open' }] })
    assert.equal(chat.choices[0]?.message.content, 'echo: open')
  })
})
