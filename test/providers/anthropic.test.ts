// The Anthropic provider against a fake Messages API on a real socket.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { GatewayError, UpstreamError } from '../../src/errors.ts'
import { createAnthropicProvider } from '../../src/providers/anthropic.ts'
import type { ChatChunk, ChatRequest, Deployment, Provider } from '../../src/providers/types.ts'
import { UpstreamClient } from '../../src/providers/upstream-client.ts'
import { startFakeAnthropic, type FakeAnthropic } from '../servers/fake-anthropic.ts'

let fake: FakeAnthropic
let client: UpstreamClient
let provider: Provider

before(async () => {
  fake = await startFakeAnthropic({ apiKey: 'sk-ant-secret-1234', echoKeyInErrors: true })
  client = new UpstreamClient({ connectionsPerOrigin: 8, keepAliveTimeoutMs: 4000 })
  provider = createAnthropicProvider(client)
})
after(async () => {
  await client.close()
  await fake.close()
})

function deployment(over: Partial<Deployment> = {}): Deployment {
  return {
    id: 'claude#0',
    modelName: 'claude',
    provider: 'anthropic',
    model: 'claude-3-5-haiku-20241022',
    apiBase: fake.url,
    apiKey: 'sk-ant-secret-1234',
    timeoutMs: 5000,
    streamTimeoutMs: 5000,
    weight: 1,
    inputCostPerToken: 0,
    outputCostPerToken: 0,
    headers: {},
    params: { model: 'anthropic/claude-3-5-haiku-20241022' },
    ...over,
  }
}

const opts = () => ({ signal: new AbortController().signal })
const chat = (extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'claude', messages: [{ role: 'user', content: 'hello there' }], ...extra })
const weatherTool: NonNullable<ChatRequest['tools']> = [
  { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
]

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}
const lastRequest = () => {
  const r = fake.requests.at(-1)
  assert.ok(r, 'the fake saw a request')
  return r
}

test('chat: JSON round trip with system prompt placement, headers and upstream model', async () => {
  const res = await provider.chat(
    deployment(),
    chat({ messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'hello there' }], presence_penalty: 0.5 }),
    opts(),
  )
  assert.equal(res.object, 'chat.completion')
  assert.match(res.id, /^chatcmpl-msg_fake\d+$/)
  assert.equal(res.model, 'claude-3-5-haiku-20241022')
  assert.deepEqual(res.choices[0]?.message, { role: 'assistant', content: 'anthropic: hello there' })
  assert.equal(res.choices[0]?.finish_reason, 'stop')
  assert.deepEqual(res.usage, { prompt_tokens: 20, completion_tokens: 3, total_tokens: 23 })

  const r = lastRequest()
  assert.equal(r.path, '/v1/messages')
  assert.equal(r.headers['x-api-key'], 'sk-ant-secret-1234')
  assert.equal(r.headers['anthropic-version'], '2023-06-01')
  assert.equal(r.body.model, 'claude-3-5-haiku-20241022')
  assert.equal(r.body.system, 'Be terse.')
  assert.deepEqual(r.body.messages, [{ role: 'user', content: [{ type: 'text', text: 'hello there' }] }])
  assert.equal(r.body.max_tokens, 4096)
  assert.equal('presence_penalty' in r.body, false)
})

test('chat: api_base ending in /v1 is not doubled; anthropic_version and extra headers are sent', async () => {
  await provider.chat(
    deployment({ apiBase: fake.url + '/v1/', headers: { 'anthropic-beta': 'tools-2024' }, params: { anthropic_version: '2024-01-01' } }),
    chat(),
    opts(),
  )
  const r = lastRequest()
  assert.equal(r.path, '/v1/messages')
  assert.equal(r.headers['anthropic-version'], '2024-01-01')
  assert.equal(r.headers['anthropic-beta'], 'tools-2024')
})

test('chat: a tool_use answer becomes tool_calls with JSON arguments', async () => {
  const res = await provider.chat(deployment(), chat({ messages: [{ role: 'user', content: 'weather in Paris?' }], tools: weatherTool, tool_choice: 'auto' }), opts())
  assert.equal(res.choices[0]?.finish_reason, 'tool_calls')
  assert.equal(res.choices[0]?.message.content, 'Let me check.')
  assert.deepEqual(res.choices[0]?.message.tool_calls, [
    { id: 'toolu_fake1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
  ])
  const body = lastRequest().body
  assert.deepEqual(body.tools, [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }])
  assert.deepEqual(body.tool_choice, { type: 'auto' })
})

test('chat: tool result messages reach Anthropic as tool_result blocks after the tool_use', async () => {
  const res = await provider.chat(
    deployment(),
    chat({
      tools: weatherTool,
      messages: [
        { role: 'user', content: 'weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_fake1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_fake1', content: 'sunny, 21C' },
      ],
    }),
    opts(),
  )
  assert.equal(res.choices[0]?.message.content, 'anthropic: tool result sunny, 21C')
  assert.deepEqual((lastRequest().body.messages as unknown[]).slice(1), [
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_fake1', name: 'get_weather', input: { city: 'Paris' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_fake1', content: 'sunny, 21C' }] },
  ])
})

test('chatStream: text arrives as several content deltas after a role chunk, ending with a finish reason', async () => {
  const chunks = await collect(await provider.chatStream(deployment(), chat({ stream: true, messages: [{ role: 'user', content: 'tell me a story' }] }), opts()))
  assert.equal(lastRequest().body.stream, true)
  assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant')
  const pieces = chunks.map((c) => c.choices[0]?.delta.content ?? '').filter((s) => s !== '')
  assert.ok(pieces.length >= 3, `several deltas, got ${pieces.length}`)
  assert.equal(pieces.join(''), 'anthropic: tell me a story')
  assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'stop')
  assert.ok(chunks.every((c) => c.usage === undefined && c.choices.length === 1))
})

test('chatStream: include_usage ends with one usage chunk without choices', async () => {
  const chunks = await collect(
    await provider.chatStream(deployment(), chat({ stream: true, stream_options: { include_usage: true } }), opts()),
  )
  const last = chunks.at(-1)
  assert.deepEqual(last?.choices, [])
  assert.deepEqual(last?.usage, { prompt_tokens: 20, completion_tokens: 3, total_tokens: 23 })
  assert.equal(chunks.filter((c) => c.usage).length, 1)
})

test('chatStream: a streamed tool call reassembles into valid arguments', async () => {
  const chunks = await collect(
    await provider.chatStream(deployment(), chat({ stream: true, tools: weatherTool, messages: [{ role: 'user', content: "what's the weather?" }] }), opts()),
  )
  const calls = new Map<number, { id?: string; name?: string; args: string; pieces: number }>()
  for (const d of chunks.flatMap((c: ChatChunk) => c.choices[0]?.delta.tool_calls ?? [])) {
    const call = calls.get(d.index) ?? { args: '', pieces: 0 }
    if (d.id) call.id = d.id
    if (d.function?.name) call.name = d.function.name
    if (d.function?.arguments) {
      call.args += d.function.arguments
      call.pieces += 1
    }
    calls.set(d.index, call)
  }
  assert.deepEqual([...calls.keys()], [0])
  const call = calls.get(0)
  assert.equal(call?.id, 'toolu_fake1')
  assert.equal(call?.name, 'get_weather')
  assert.ok((call?.pieces ?? 0) >= 2)
  assert.deepEqual(JSON.parse(call?.args ?? ''), { city: 'Paris' })
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Let me check.')
  assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'tool_calls')
})

test('errors: a wrong deployment key is a 502 keeping the message, and the key is scrubbed', async () => {
  const wrongKey = 'sk-ant-wrong-9876'
  for (const call of [
    () => provider.chat(deployment({ apiKey: wrongKey }), chat(), opts()),
    () => provider.chatStream(deployment({ apiKey: wrongKey }), chat({ stream: true }), opts()),
  ]) {
    await assert.rejects(call(), (e: unknown) => {
      assert.ok(e instanceof UpstreamError)
      assert.equal(e.status, 502, 'the deployment’s key was refused, not the client’s')
      assert.equal(e.code, 'upstream_auth_failed')
      assert.match(e.message, /invalid x-api-key/)
      assert.ok(!e.message.includes(wrongKey), e.message)
      assert.match(e.message, /\*\*\*/, 'the fake echoed the key, so scrubbing was exercised')
      return true
    })
  }
})

test('errors: Anthropic 529 overloaded becomes a retryable 503', async () => {
  fake.queue({ status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } })
  await assert.rejects(provider.chat(deployment(), chat(), opts()), (e: unknown) => {
    assert.ok(e instanceof UpstreamError)
    assert.equal(e.status, 503)
    assert.equal(e.message, 'Overloaded')
    assert.equal(e.retryable, true)
    return true
  })
})

test('errors: an error event mid-stream is thrown after the text already sent', async () => {
  const stream = await provider.chatStream(deployment(), chat({ stream: true, messages: [{ role: 'user', content: 'are you overloaded' }] }), opts())
  let text = ''
  await assert.rejects(
    (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? ''
    })(),
    (e: unknown) => e instanceof UpstreamError && e.status === 503 && e.message === 'Overloaded',
  )
  assert.equal(text, 'anthropic: are you overloaded')
})

test('errors: a stream cut off before message_stop fails instead of ending quietly', async () => {
  const stream = await provider.chatStream(deployment(), chat({ stream: true, messages: [{ role: 'user', content: 'cut off please' }] }), opts())
  await assert.rejects(collect(stream), (e: unknown) => e instanceof UpstreamError && e.status === 502 && e.failure === 'protocol')
})

test('errors: an answer without a content array is a 502 protocol error', async () => {
  fake.queue({ status: 200, body: { id: 'msg_x', type: 'message' } })
  await assert.rejects(provider.chat(deployment(), chat(), opts()), (e: unknown) => e instanceof UpstreamError && e.status === 502 && e.failure === 'protocol')
})

test('errors: a request Anthropic cannot express fails with 400 before any upstream call', async () => {
  const seen = fake.requests.length
  await assert.rejects(provider.chat(deployment(), chat({ n: 3 }), opts()), (e: unknown) => e instanceof GatewayError && e.status === 400)
  assert.equal(fake.requests.length, seen)
})

test('completion and completionStream are served through chat', async () => {
  const res = await provider.completion(deployment(), { model: 'claude', prompt: 'Say hi', max_tokens: 20 }, opts())
  assert.equal(res.object, 'text_completion')
  assert.match(res.id, /^cmpl-msg_fake\d+$/)
  assert.equal(res.choices[0]?.text, 'anthropic: Say hi')
  assert.equal(res.choices[0]?.finish_reason, 'stop')
  assert.deepEqual(lastRequest().body.messages, [{ role: 'user', content: [{ type: 'text', text: 'Say hi' }] }])
  assert.equal(lastRequest().body.max_tokens, 20)

  const chunks = await collect(
    await provider.completionStream(deployment(), { model: 'claude', prompt: ['Say hi'], stream: true, stream_options: { include_usage: true } }, opts()),
  )
  assert.ok(chunks.every((c) => c.object === 'text_completion'))
  assert.equal(chunks.map((c) => c.choices[0]?.text ?? '').join(''), 'anthropic: Say hi')
  assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'stop')
  assert.deepEqual(chunks.at(-1)?.usage, { prompt_tokens: 20, completion_tokens: 3, total_tokens: 23 })
})

test('embeddings are refused as unsupported', async () => {
  await assert.rejects(
    provider.embeddings(deployment(), { model: 'claude', input: 'x' }, opts()),
    (e: unknown) => e instanceof GatewayError && e.status === 400 && e.code === 'unsupported_endpoint',
  )
})
