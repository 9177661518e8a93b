// An `anthropic/…` deployment end to end: the official OpenAI SDK talks to the
// gateway, the gateway talks to a fake Anthropic Messages API. What the client
// sees is OpenAI's format; what the fake sees is Anthropic's.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import OpenAI from 'openai'
import { collect, startGateway, useGateway, type TestGateway } from '../helpers/gateway.ts'
import { startFakeAnthropic, type FakeAnthropic } from '../servers/fake-anthropic.ts'

const ANTHROPIC_KEY = 'sk-ant-deployment-secret-42'
const CLIENT_KEY = 'sk-client-key-not-for-anthropic'

let fake: FakeAnthropic
let gw: TestGateway
let sdk: OpenAI

/** A config with one model `claude` served by the Anthropic API at `apiBase` with `apiKey`, no retries. */
const claudeOnly = (apiBase: string, apiKey: string): string => `model_list:
  - model_name: claude
    litellm_params:
      model: anthropic/claude-3-5-haiku-20241022
      api_base: ${apiBase}
      api_key: ${apiKey}
router_settings:
  num_retries: 0
`

before(async () => {
  fake = await startFakeAnthropic({ apiKey: ANTHROPIC_KEY })
  gw = await startGateway(claudeOnly(fake.url, ANTHROPIC_KEY))
  sdk = gw.client(CLIENT_KEY)
})
after(async () => {
  await gw.close()
  await fake.close()
})

const tools: OpenAI.Chat.ChatCompletionTool[] = [
  {
    type: 'function',
    function: { name: 'get_weather', description: 'weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  },
]

function lastUpstream() {
  const r = fake.requests.at(-1)
  assert.ok(r, 'the fake Anthropic API was called')
  return r
}

test('JSON: system prompt as Anthropic system, deployment model, key as x-api-key only', async () => {
  const res = await sdk.chat.completions.create({
    model: 'claude',
    max_tokens: 100,
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'hello claude' },
    ],
  })
  assert.equal(res.object, 'chat.completion')
  assert.equal(res.choices[0]?.message.role, 'assistant')
  assert.equal(res.choices[0]?.message.content, 'anthropic: hello claude')
  assert.equal(res.choices[0]?.finish_reason, 'stop')
  // prompt tokens include Anthropic's cache reads and writes: 12 + 3 + 5
  assert.equal(res.usage?.prompt_tokens, 20)
  assert.equal(res.usage?.total_tokens, 20 + (res.usage?.completion_tokens ?? NaN))

  const up = lastUpstream()
  assert.equal(up.path, '/v1/messages')
  assert.equal(up.body.model, 'claude-3-5-haiku-20241022')
  assert.equal(up.body.system, 'You are terse.')
  assert.equal(up.body.max_tokens, 100)
  assert.deepEqual(up.body.messages, [{ role: 'user', content: [{ type: 'text', text: 'hello claude' }] }])
  assert.equal(up.headers['x-api-key'], ANTHROPIC_KEY)
  assert.equal(up.headers.authorization, undefined, 'no Authorization header goes to Anthropic')
  assert.equal(typeof up.headers['anthropic-version'], 'string')
  assert.ok(!JSON.stringify(up).includes(CLIENT_KEY), 'the client key never reaches Anthropic')
})

test('streaming: the text arrives in OpenAI chunks, with a final usage chunk', async () => {
  const chunks = await collect(
    await sdk.chat.completions.create({
      model: 'claude',
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: 'Stream it.' },
        { role: 'user', content: 'tell me a short story' },
      ],
    }),
  )
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')
  assert.equal(text, 'anthropic: tell me a short story')
  assert.ok(chunks.filter((c) => (c.choices[0]?.delta.content ?? '') !== '').length >= 3, 'several content chunks')
  assert.equal(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason, 'stop')
  const last = chunks.at(-1)
  assert.deepEqual(last?.choices, [])
  assert.equal(last?.usage?.prompt_tokens, 20)
  assert.ok((last?.usage?.completion_tokens ?? 0) > 0)

  const up = lastUpstream()
  assert.equal(up.body.stream, true)
  assert.equal(up.body.system, 'Stream it.')
  assert.equal(up.headers['x-api-key'], ANTHROPIC_KEY)
})

test('tool call (JSON): the tool_use comes back as an OpenAI tool call with JSON arguments', async () => {
  const res = await sdk.chat.completions.create({ model: 'claude', tools, messages: [{ role: 'user', content: 'what is the weather in Paris?' }] })
  const choice = res.choices[0]
  assert.equal(choice?.finish_reason, 'tool_calls')
  assert.equal(choice?.message.content, 'Let me check.')
  const call = choice?.message.tool_calls?.[0]
  assert.ok(call && call.type === 'function')
  assert.equal(call.id, 'toolu_fake1')
  assert.equal(call.function.name, 'get_weather')
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' })
  // tools went up in Anthropic's shape
  assert.deepEqual(lastUpstream().body.tools, [
    { name: 'get_weather', description: 'weather by city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  ])
})

test('tool call (stream): the SDK reassembles the streamed arguments into valid JSON', async () => {
  const runner = sdk.chat.completions.stream({ model: 'claude', tools, messages: [{ role: 'user', content: 'weather in Paris, streamed' }] })
  const final = await runner.finalChatCompletion()
  const choice = final.choices[0]
  assert.equal(choice?.finish_reason, 'tool_calls')
  assert.equal(choice?.message.content, 'Let me check.')
  const calls = choice?.message.tool_calls ?? []
  assert.equal(calls.length, 1)
  const call = calls[0]
  assert.ok(call && call.type === 'function')
  assert.equal(call.id, 'toolu_fake1')
  assert.equal(call.function.name, 'get_weather')
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' })
})

test('tool result follow-up: the turn goes up as tool_use + tool_result and the answer comes back', async () => {
  const first = await sdk.chat.completions.create({ model: 'claude', tools, messages: [{ role: 'user', content: 'weather in Paris?' }] })
  const call = first.choices[0]?.message.tool_calls?.[0]
  assert.ok(call && call.type === 'function')
  const res = await sdk.chat.completions.create({
    model: 'claude',
    tools,
    messages: [
      { role: 'system', content: 'Use tools.' },
      { role: 'user', content: 'weather in Paris?' },
      first.choices[0]?.message as OpenAI.Chat.ChatCompletionMessageParam,
      { role: 'tool', tool_call_id: call.id, content: 'Sunny, 21C' },
    ],
  })
  assert.equal(res.choices[0]?.message.content, 'anthropic: tool result Sunny, 21C')
  assert.equal(res.choices[0]?.finish_reason, 'stop')

  const up = lastUpstream()
  assert.equal(up.body.system, 'Use tools.')
  assert.deepEqual(up.body.messages, [
    { role: 'user', content: [{ type: 'text', text: 'weather in Paris?' }] },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_use', id: 'toolu_fake1', name: 'get_weather', input: { city: 'Paris' } },
      ],
    },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_fake1', content: 'Sunny, 21C' }] },
  ])
})

test('legacy completions are served through Anthropic messages', async () => {
  const res = await sdk.completions.create({ model: 'claude', prompt: 'complete via claude', max_tokens: 50 })
  assert.equal(res.choices[0]?.text, 'anthropic: complete via claude')
  assert.equal(lastUpstream().body.max_tokens, 50)
})

test('an Anthropic 401 that echoes a wrong deployment key reaches the client scrubbed', async (t) => {
  const echoing = await startFakeAnthropic({ apiKey: 'sk-ant-the-right-one', echoKeyInErrors: true })
  t.after(() => echoing.close())
  const g = await useGateway(t, claudeOnly(echoing.url, 'sk-ant-stale-key-31337'))

  const res = await fetch(`${g.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] }),
  })
  const text = await res.text()
  assert.ok(res.status >= 400, `status ${res.status}`)
  assert.ok(echoing.requests.length > 0, 'the fake was called')
  assert.match(text, /invalid x-api-key/)
  assert.ok(!text.includes('sk-ant-stale-key-31337'), `key in the error body: ${text}`)
  assert.ok(!g.logs.join('\n').includes('sk-ant-stale-key-31337'), 'key in the logs')
})

test('the Anthropic key appears nowhere in the logs; the client key never left the gateway', () => {
  const all = gw.logs.join('\n')
  assert.ok(gw.logs.length > 0, 'the gateway logged its requests')
  assert.ok(!all.includes(ANTHROPIC_KEY))
  assert.ok(!all.includes(CLIENT_KEY))
  for (const r of fake.requests) {
    assert.equal(r.headers['x-api-key'], ANTHROPIC_KEY)
    assert.ok(!JSON.stringify(r).includes(CLIENT_KEY))
  }
})
