// What the client sees when an upstream fails, through a real gateway and the
// official SDK: upstream statuses and messages kept, 502 for an unreachable or
// garbled upstream, 504 for a timeout, an APIError for a stream that fails
// midway, never a 500, and never the deployment's API key.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createServer as createHttpServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { APIError } from 'openai'
import { apiFailure, messageOf, openaiModel, unreachableBaseURL, useFakes, useGateway, type TestGateway } from '../helpers/gateway.ts'
import type { Behaviour, FakeOpenAI } from '../servers/fake-openai.ts'

const KEY = 'sk-deployment-secret-m' // what openaiModel('m', …) configures

/** One deployment `m` on `url`, no retries unless `settings` says otherwise. */
const oneModel = (url: string, params = '', settings = '  num_retries: 0\n'): string =>
  `model_list:\n${openaiModel('m', url, params)}router_settings:\n${settings}`

/** A fake upstream `a` answering every call with `behaviour`, and a gateway on oneModel(a.url, params, settings). */
async function serve(t: TestContext, behaviour: Behaviour, params?: string, settings?: string): Promise<{ a: FakeOpenAI; gw: TestGateway }> {
  const [a] = await useFakes(t, 'a')
  a.fallback = behaviour
  return { a, gw: await useGateway(t, oneModel(a.url, params, settings)) }
}

const chat = (gw: TestGateway, extra: { stream?: boolean } = {}) =>
  gw.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...extra } as never)

/** Reads a stream to its end; returns the text received before it failed, and the failure. */
async function drain(stream: AsyncIterable<{ choices: Array<{ delta?: { content?: string | null } }> }>) {
  let text = ''
  try {
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? ''
  } catch (err) {
    return { text, err }
  }
  return { text, err: undefined }
}

test('an upstream 400 reaches the client with its status, message, type, param and code, and is not retried', async (t) => {
  const { a, gw } = await serve(
    t,
    {
      kind: 'status',
      status: 400,
      body: { error: { message: "Invalid 'messages[0].role': unknown role", type: 'invalid_request_error', param: 'messages', code: 'invalid_value' } },
    },
    '',
    '  num_retries: 2\n',
  )

  const err = await apiFailure(chat(gw))
  assert.equal(err.status, 400)
  assert.equal(messageOf(err), "Invalid 'messages[0].role': unknown role")
  assert.equal(err.type, 'invalid_request_error')
  assert.equal(err.param, 'messages')
  assert.equal(err.code, 'invalid_value')
  assert.equal(a.requests.length, 1)
})

test('an upstream 401 or 403 (the deployment’s key refused) is a 502 naming the deployment’s credentials, not a 401 blaming the client’s key, and is not retried', async (t) => {
  const [a] = await useFakes(t, 'a')
  a.queue(
    { kind: 'status', status: 401, body: { error: { message: 'Your organization is not allowed here', type: 'invalid_request_error', code: 'invalid_api_key' } } },
    { kind: 'status', status: 403, body: { error: { message: 'Project does not have access to model', type: 'invalid_request_error', code: 'model_not_permitted' } } },
  )
  const gw = await useGateway(t, oneModel(a.url, '', '  num_retries: 2\n'))

  for (const status of [401, 403]) {
    const error = await apiFailure(chat(gw))
    assert.equal(error.status, 502, String(status))
    assert.equal(error.code, 'upstream_auth_failed')
    assert.match(messageOf(error), new RegExp(`deployment \\(${status}: `))
    assert.match(messageOf(error), /api_key/)
    assert.equal(error.headers?.get('x-portcullis-deployment'), 'm#0', 'the deployment whose key was refused')
  }
  assert.equal(a.requests.length, 2, 'one attempt each')
})

test('an upstream that answers 200 and drops the connection mid-body is a 502 saying so, not an unreachable upstream retried', async (t) => {
  const { a, gw } = await serve(t, { kind: 'truncated' }, '', '  num_retries: 2\n')
  const err = await apiFailure(chat(gw))
  assert.equal(err.status, 502)
  assert.match(messageOf(err), /answered 200 but closed the connection before its body was complete/)
  assert.equal(a.requests.length, 1, 'not retried: the upstream did the work')
})

test('an upstream 404 and 422 keep their status', async (t) => {
  const [a] = await useFakes(t, 'a')
  a.queue(
    { kind: 'status', status: 404, body: { error: { message: 'The model `m-upstream` does not exist', type: 'invalid_request_error', code: 'model_not_found' } } },
    { kind: 'status', status: 422, body: { detail: 'temperature: value is not a valid float' } },
  )
  const gw = await useGateway(t, oneModel(a.url))

  const e404 = await apiFailure(chat(gw))
  assert.equal(e404.status, 404)
  assert.equal(messageOf(e404), 'The model `m-upstream` does not exist')
  const e422 = await apiFailure(chat(gw))
  assert.equal(e422.status, 422)
  assert.equal(messageOf(e422), 'temperature: value is not a valid float')
})

test('an unreachable upstream answers 502 with a message that says so', async (t) => {
  const gw = await useGateway(t, oneModel(await unreachableBaseURL()))

  const err = await apiFailure(chat(gw))
  assert.equal(err.status, 502)
  assert.match(messageOf(err), /could not reach upstream/)
})

test('an unreachable upstream answers 502 for a stream too', async (t) => {
  const gw = await useGateway(t, oneModel(await unreachableBaseURL()))

  const err = await apiFailure(chat(gw, { stream: true }))
  assert.equal(err.status, 502)
  assert.match(messageOf(err), /could not reach upstream/)
})

test('an upstream that does not answer within the deployment timeout gives 504, without waiting for the default timeout', async (t) => {
  const { gw } = await serve(t, { kind: 'hang' }, '      timeout: 0.3\n')

  const started = performance.now()
  const err = await apiFailure(chat(gw))
  assert.ok(performance.now() - started < 5_000, 'timed out after the deployment’s 0.3 s, not the 600 s default')
  assert.equal(err.status, 504)
  assert.match(messageOf(err), /did not answer within 0\.3s/)
})

test('router_settings.timeout is the timeout of deployments that set none', async (t) => {
  const { gw } = await serve(t, { kind: 'hang' }, '', '  num_retries: 0\n  timeout: 0.3\n')

  const started = performance.now()
  const err = await apiFailure(chat(gw))
  assert.ok(performance.now() - started < 5_000, 'timed out after 0.3 s, not the 600 s default')
  assert.equal(err.status, 504)
})

test('a stream whose upstream never sends headers gives 504', async (t) => {
  const { gw } = await serve(t, { kind: 'hang' }, '      timeout: 0.3\n')

  const err = await apiFailure(chat(gw, { stream: true }))
  assert.equal(err.status, 504)
})

test('a timeout is retried: num_retries 1 means two upstream attempts before the 504', async (t) => {
  const { a, gw } = await serve(t, { kind: 'hang' }, '      timeout: 0.3\n', '  num_retries: 1\n  retry_after: 0\n')

  const err = await apiFailure(chat(gw))
  assert.equal(err.status, 504)
  assert.equal(a.requests.length, 2)
})

test('an HTML error page from the upstream gives a 502 with a clear message', async (t) => {
  const { gw } = await serve(t, { kind: 'html' }) // 502 text/html, like a load balancer in front of a dead upstream

  const err = await apiFailure(chat(gw))
  assert.equal(err.status, 502)
  const message = messageOf(err)
  assert.equal(message, 'upstream answered 502 with an HTML page instead of a JSON error')
})

test('an HTML page with status 200 gives a 502 that says the body is not JSON', async (t) => {
  const { gw } = await serve(t, { kind: 'html', status: 200 })

  const err = await apiFailure(chat(gw))
  assert.equal(err.status, 502)
  assert.match(messageOf(err), /not JSON/)
})

test('a streaming request the upstream answers with one JSON body (or an HTML page) gives a 502, not an empty stream', async (t) => {
  const completion = { id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'not streamed' }, finish_reason: 'stop' }] }
  const { gw } = await serve(t, { kind: 'status', status: 200, body: completion })
  const err = await apiFailure(chat(gw, { stream: true }))
  assert.equal(err.status, 502)
  assert.equal(messageOf(err), 'upstream answered a streaming request with application/json instead of an event stream')
  assert.equal(err.headers?.get('x-portcullis-deployment'), 'm#0', 'the failing deployment is named')

  const html = await serve(t, { kind: 'html', status: 200 })
  const err2 = await apiFailure(chat(html.gw, { stream: true }))
  assert.equal(err2.status, 502)
  assert.match(messageOf(err2), /text\/html instead of an event stream/)
})

test('a 200 with JSON that is not a chat completion gives a 502', async (t) => {
  const { gw } = await serve(t, { kind: 'status', status: 200, body: { hello: 'world' } })

  const err = await apiFailure(chat(gw))
  assert.equal(err.status, 502)
  assert.match(messageOf(err), /unexpected JSON shape/)
})

test('a redirect from the upstream (an http:// api_base answered by https) gives a 502 naming the target, not a 3xx', async (t) => {
  const { gw } = await serve(t, { kind: 'status', status: 301, headers: { location: 'https://llm.example.com/v1/chat/completions' }, body: '' })

  const err = await apiFailure(chat(gw))
  assert.equal(err.status, 502)
  assert.match(messageOf(err), /301 \(a redirect to https:\/\/llm\.example\.com\/v1\/chat\/completions\)/)
  assert.match(messageOf(err), /api_base/)
})

test('a plain-text 500 keeps its status and its text', async (t) => {
  const { gw } = await serve(t, { kind: 'status', status: 500, body: 'Internal Server Error: worker crashed' })

  const err = await apiFailure(chat(gw))
  assert.equal(err.status, 500)
  assert.match(messageOf(err), /worker crashed/)
})

test('an error event in the middle of a stream is raised by the SDK as an APIError after the first chunks', async (t) => {
  const { gw } = await serve(t, { kind: 'stream', chunks: ['partial ', 'answer'], errorAfter: true })

  const stream = await chat(gw, { stream: true })
  const { text, err } = await drain(stream as never)
  assert.equal(text, 'partial answer')
  assert.ok(err instanceof APIError, `an APIError, got ${String(err)}`)
  assert.match(err.message, /fake upstream failed mid-stream/)
})

test('an upstream that drops the connection mid-stream is raised by the SDK as an APIError', async (t) => {
  // paced, so the first chunks reach the gateway before the connection drops
  const { gw } = await serve(t, { kind: 'stream', chunks: ['partial ', 'answer'], delayMs: 50, dropAfter: true })

  const stream = await chat(gw, { stream: true })
  const { text, err } = await drain(stream as never)
  assert.ok(text.startsWith('partial'), `the client got the first chunks (${JSON.stringify(text)})`)
  assert.ok(err instanceof APIError, `an APIError, got ${String(err)}`)
  assert.match(err.message, /upstream closed the connection mid-stream/)
})

test('a stream that goes silent mid-way for longer than the timeout ends with an APIError', async (t) => {
  const { gw } = await serve(t, { kind: 'stream', chunks: ['early ', 'late'], delays: [0, 3_000] }, '      timeout: 0.3\n')

  const stream = await chat(gw, { stream: true })
  const { text, err } = await drain(stream as never)
  assert.equal(text, 'early ', 'the gateway gave up before the late chunk came')
  assert.ok(err instanceof APIError, `an APIError, got ${String(err)}`)
  assert.match(err.message, /timed out/)
})

test('a stream silent before its first content is a 504 answered before any byte, and is retried', async (t) => {
  const { a, gw } = await serve(t, { kind: 'stream', chunks: ['late'], delayMs: 3_000 }, '      timeout: 0.3\n', '  num_retries: 1\n  retry_after: 0\n')

  const err = await apiFailure(chat(gw, { stream: true }))
  assert.equal(err.status, 504)
  assert.equal(a.requests.length, 2, 'the silent attempt was retried')
})

test('an upstream error that echoes the deployment key reaches the client with the key replaced by ***', async (t) => {
  const [a] = await useFakes(t, 'a')
  a.queue(
    { kind: 'status', status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}. Check your key.`, type: 'invalid_request_error', code: 'invalid_api_key' } } },
    { kind: 'status', status: 500, body: `upstream crashed while using key ${KEY}` },
  )
  const gw = await useGateway(t, oneModel(a.url))

  const e401 = await apiFailure(chat(gw))
  assert.equal(e401.status, 502)
  assert.match(messageOf(e401), /\(401: Incorrect API key provided: \*\*\*\. Check your key\.\)/)
  const e500 = await apiFailure(chat(gw))
  assert.equal(e500.status, 500)
  assert.ok(!messageOf(e500).includes(KEY), messageOf(e500))
  assert.match(messageOf(e500), /using key \*\*\*/)
  // nor anywhere else in what the gateway logged
  assert.ok(!gw.logs.some((l) => l.includes(KEY)), 'the key is not in the logs')
})

/** An upstream that streams one chunk, then an error event quoting the key it was called with. */
async function keyEchoingStreamer(t: TestContext): Promise<string> {
  const srv: Server = createHttpServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'x', choices: [{ index: 0, delta: { role: 'assistant', content: 'hi' }, finish_reason: null }] })}\n\n`)
      res.end(`data: ${JSON.stringify({ error: { message: `key ${String(req.headers.authorization).slice(7)} has no quota left`, type: 'insufficient_quota' } })}\n\n`)
    })
  })
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => srv.close(() => resolve())))
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}/v1`
}

test(
  'an upstream error event mid-stream that echoes the deployment key reaches the client with the key replaced by ***',
  async (t) => {
    const url = await keyEchoingStreamer(t)
    const gw = await useGateway(t, oneModel(url))

    const stream = await chat(gw, { stream: true })
    const { text, err } = await drain(stream as never)
    assert.equal(text, 'hi')
    assert.ok(err instanceof APIError, `an APIError, got ${String(err)}`)
    assert.ok(!err.message.includes(KEY), `the key leaked: ${err.message}`)
    assert.match(err.message, /key \*\*\* has no quota left/)
  },
)
