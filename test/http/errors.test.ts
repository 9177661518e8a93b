// Every failure answers in OpenAI's error shape with a 4xx (or the upstream's
// 5xx), never a bare 500: malformed and invalid bodies, unknown models and
// routes, bodies over the size limit, upstream failures.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import OpenAI from 'openai'
import { useSharedGateway } from '../helpers/gateway.ts'

// echo, gpt on the fake upstream, and claude on a port where nothing answers
const shared = useSharedGateway({
  models: () => `  - model_name: claude
    litellm_params:
      model: anthropic/claude-3-5-haiku-20241022
      api_base: http://127.0.0.1:9
      api_key: sk-ant-unused
`,
  sections: 'general_settings:\n  max_request_size_mb: 0.01\n',
})

interface ErrorAnswer {
  status: number
  headers: Headers
  error: { message: string; type: string; param: string | null; code: string | null; [k: string]: unknown }
}

/** Sends a raw request and checks the answer is an OpenAI error body. */
async function send(path: string, init: RequestInit & { json?: unknown } = {}): Promise<ErrorAnswer> {
  const { json, ...rest } = init
  const res = await fetch(shared.gw.url + path, {
    method: 'POST',
    ...(json !== undefined ? { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } } : {}),
    ...rest,
  })
  const text = await res.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    assert.fail(`${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`)
  }
  const e = (body as { error?: ErrorAnswer['error'] }).error
  assert.ok(e && typeof e === 'object', `${path}: ${res.status} has an error object: ${text.slice(0, 200)}`)
  assert.equal(typeof e.message, 'string')
  assert.ok(e.message.length > 0)
  assert.equal(typeof e.type, 'string')
  assert.ok('param' in e && (e.param === null || typeof e.param === 'string'), 'param is null or a string')
  assert.ok('code' in e && (e.code === null || typeof e.code === 'string'), 'code is null or a string')
  return { status: res.status, headers: res.headers, error: e }
}

const chat = (extra: Record<string, unknown>): Record<string, unknown> => ({ model: 'echo', messages: [{ role: 'user', content: 'hi' }], ...extra })

describe('bad request bodies', () => {
  test('malformed JSON is a 400 invalid_request_error', async () => {
    const r = await send('/v1/chat/completions', { body: '{"model": "echo", "messages": [', headers: { 'content-type': 'application/json' } })
    assert.equal(r.status, 400)
    assert.equal(r.error.type, 'invalid_request_error')
    assert.match(r.error.message, /JSON/)
  })

  test('messages that is not an array is a 400 naming messages', async () => {
    for (const messages of ['hello', { role: 'user', content: 'hi' }, null, 7]) {
      const r = await send('/v1/chat/completions', { json: { model: 'echo', messages } })
      assert.equal(r.status, 400, JSON.stringify(messages))
      assert.equal(r.error.type, 'invalid_request_error')
      assert.equal(r.error.param, 'messages')
      assert.match(r.error.message, /messages/)
    }
    const missing = await send('/v1/chat/completions', { json: { model: 'echo' } })
    assert.equal(missing.status, 400)
    assert.equal(missing.error.param, 'messages')
  })

  test('a negative or zero max_tokens is a 400 naming max_tokens', async () => {
    for (const max_tokens of [-5, 0, 1.5]) {
      const r = await send('/v1/chat/completions', { json: chat({ max_tokens }) })
      assert.equal(r.status, 400, String(max_tokens))
      assert.equal(r.error.param, 'max_tokens')
    }
    const comp = await send('/v1/completions', { json: { model: 'echo', prompt: 'p', max_tokens: -1 } })
    assert.equal(comp.status, 400)
    assert.equal(comp.error.param, 'max_tokens')
  })

  test('the SDK raises BadRequestError with the param', async () => {
    await assert.rejects(
      shared.gw.client().chat.completions.create({ model: 'echo', max_tokens: -1, messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => {
        assert.ok(err instanceof OpenAI.BadRequestError)
        assert.equal(err.param, 'max_tokens')
        return true
      },
    )
  })

  test('odd bodies and fields are 4xx with the error shape, never a 500', async () => {
    const cases: Array<[string, string]> = [
      ['/v1/chat/completions', 'null'],
      ['/v1/chat/completions', '[]'],
      ['/v1/chat/completions', '"a string"'],
      ['/v1/chat/completions', '42'],
      ['/v1/chat/completions', '{}'],
      ['/v1/chat/completions', ''],
      ['/v1/chat/completions', JSON.stringify({ model: 5, messages: [{ role: 'user', content: 'x' }] })],
      ['/v1/chat/completions', JSON.stringify(chat({ messages: [] }))],
      ['/v1/chat/completions', JSON.stringify(chat({ messages: [null] }))],
      ['/v1/chat/completions', JSON.stringify(chat({ messages: [{ role: 'wizard', content: 'x' }] }))],
      ['/v1/chat/completions', JSON.stringify(chat({ messages: [{ role: 'user', content: { nested: true } }] }))],
      ['/v1/chat/completions', JSON.stringify(chat({ messages: [{ role: 'user', content: [{ text: 'no type' }] }] }))],
      ['/v1/chat/completions', JSON.stringify(chat({ stream: 'yes' }))],
      ['/v1/chat/completions', JSON.stringify(chat({ stream_options: { include_usage: true } }))],
      ['/v1/chat/completions', JSON.stringify(chat({ n: 0 }))],
      ['/v1/chat/completions', JSON.stringify(chat({ temperature: 9 }))],
      ['/v1/chat/completions', JSON.stringify(chat({ tools: [{ type: 'function', function: {} }] }))],
      ['/v1/chat/completions', JSON.stringify(chat({ tools: 'all of them' }))],
      ['/v1/chat/completions', JSON.stringify(chat({ stop: ['a', 'b', 'c', 'd', 'e'] }))],
      ['/v1/chat/completions', JSON.stringify(chat({ model: 'claude', messages: [{ role: 'user', content: [{ type: 'input_audio' }] }] }))],
      ['/v1/chat/completions', JSON.stringify(chat({ model: 'claude', n: 3 }))],
      ['/v1/completions', JSON.stringify({ model: 'echo' })],
      ['/v1/completions', JSON.stringify({ model: 'echo', prompt: { p: 1 } })],
      ['/v1/embeddings', JSON.stringify({ model: 'echo', input: [] })],
      ['/v1/embeddings', JSON.stringify({ model: 'echo', input: 'x', encoding_format: 'hex' })],
      ['/v1/embeddings', JSON.stringify({ model: 'echo', input: 'x', dimensions: 100000 })],
      ['/v1/embeddings', JSON.stringify({ model: 'claude', input: 'x' })],
    ]
    for (const [path, body] of cases) {
      const r = await send(path, { body, headers: { 'content-type': 'application/json' } })
      assert.ok(r.status >= 400 && r.status < 500, `${path} ${body} → ${r.status} ${r.error.message}`)
      assert.equal(r.error.type, 'invalid_request_error', `${path} ${body}`)
    }
  })
})

describe('unknown things', () => {
  test('an unknown model is a 404 model_not_found, on every endpoint', async () => {
    for (const [path, json] of [
      ['/v1/chat/completions', chat({ model: 'gpt-17' })],
      ['/v1/chat/completions', chat({ model: 'gpt-17', stream: true })],
      ['/v1/completions', { model: 'gpt-17', prompt: 'x' }],
      ['/v1/embeddings', { model: 'gpt-17', input: 'x' }],
    ] as const) {
      const r = await send(path, { json })
      assert.equal(r.status, 404, path)
      assert.equal(r.error.code, 'model_not_found')
      assert.equal(r.error.param, 'model')
    }
    await assert.rejects(shared.gw.client().chat.completions.create({ model: 'gpt-17', messages: [{ role: 'user', content: 'x' }] }), OpenAI.NotFoundError)
  })

  test('an unknown route or method is a 404 in the error shape', async () => {
    for (const [method, path] of [
      ['GET', '/v1/nothing-here'],
      ['POST', '/v2/chat/completions'],
      ['GET', '/v1/chat/completions'],
      ['DELETE', '/v1/models/echo'],
      ['GET', '/'],
    ] as const) {
      const r = await send(path, { method })
      assert.equal(r.status, 404, `${method} ${path}`)
      assert.ok(r.headers.get('x-request-id'))
    }
  })
})

describe('request size', () => {
  test('a body over max_request_size_mb is a 413 in the error shape', async () => {
    const big = chat({ messages: [{ role: 'user', content: 'x'.repeat(20_000) }] })
    const r = await send('/v1/chat/completions', { json: big })
    assert.equal(r.status, 413)
    assert.equal(r.error.type, 'invalid_request_error')
    assert.match(r.error.message, /max_request_size_mb \(0\.01 MB\)/, 'names the configured limit')
    // a chunked body without content-length is cut off the same way
    const chunked = await send('/v1/chat/completions', {
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(JSON.stringify(big)))
          c.close()
        },
      }),
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit)
    assert.equal(chunked.status, 413)
    // and a body under the limit passes
    const small = await fetch(`${shared.gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat({})) })
    assert.equal(small.status, 200)
    await small.arrayBuffer()
  })
})

describe('content types', () => {
  test('a JSON body sent as form data (curl -d) or without any content type is parsed as JSON', async () => {
    const body = JSON.stringify(chat({ messages: [{ role: 'user', content: 'curl style' }] }))
    for (const init of [
      { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      { body, headers: { 'content-type': 'text/plain' } },
      { body }, // fetch sends text/plain;charset=UTF-8 for a string
      { body: new TextEncoder().encode(body) }, // and no content-type at all for bytes
    ]) {
      const res = await fetch(`${shared.gw.url}/v1/chat/completions`, { method: 'POST', ...init })
      const json = (await res.json()) as { choices: Array<{ message: { content: string } }> }
      assert.equal(res.status, 200)
      assert.equal(json.choices[0]?.message.content, 'echo: curl style')
    }
    const bad = await send('/v1/chat/completions', { body: 'model=echo&messages=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    assert.equal(bad.status, 400)
  })
})

describe('upstream failures', () => {
  test("an upstream 4xx keeps its status and message in OpenAI's shape", async () => {
    shared.fake.queue({ kind: 'status', status: 400, body: { error: { message: 'context too long', type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } } })
    const r = await send('/v1/chat/completions', { json: chat({ model: 'gpt' }) })
    assert.equal(r.status, 400)
    assert.equal(r.error.message, 'context too long')
    assert.equal(r.error.code, 'context_length_exceeded')
  })

  test("an upstream answering HTML is a 5xx in OpenAI's shape, not the HTML", async () => {
    shared.fake.queue({ kind: 'html', status: 502 })
    const r = await send('/v1/chat/completions', { json: chat({ model: 'gpt' }) })
    assert.ok(r.status >= 500 && r.status !== 500, `status ${r.status}`)
    assert.ok(!r.error.message.includes('<html'))
  })

  test('an unreachable upstream is a 502 in the error shape', async () => {
    const r = await send('/v1/chat/completions', { json: chat({ model: 'claude' }) })
    assert.equal(r.status, 502)
    assert.equal(r.error.type, 'api_error')
  })
})
