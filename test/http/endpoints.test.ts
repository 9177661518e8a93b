// The OpenAI-compatible endpoints end to end, through a real gateway, with the
// official SDK as the client: the built-in echo model and an OpenAI-compatible
// upstream (the fake), with and without the /v1 prefix.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import OpenAI from 'openai'
import { useSharedGateway } from '../helpers/gateway.ts'

// echo, gpt on the fake upstream, and team/gpt on the fake too
const shared = useSharedGateway({
  models: (fakeUrl) => `  - model_name: team/gpt
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${fakeUrl}
      api_key: sk-deployment-secret-team
`,
})

/** The last request the fake upstream saw. */
function lastUpstream() {
  const r = shared.fake.requests.at(-1)
  assert.ok(r, 'the upstream was called')
  return r
}

async function postJson(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(shared.gw.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, json: (await res.json()) as Record<string, unknown> }
}

describe('echo model', () => {
  test('chat answers "echo: <last user text>" with usage', async () => {
    const res = await shared.sdk.chat.completions.create({
      model: 'echo',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: 'the second question' },
      ],
    })
    assert.equal(res.object, 'chat.completion')
    assert.equal(res.choices.length, 1)
    assert.equal(res.choices[0]?.message.content, 'echo: the second question')
    assert.equal(res.choices[0]?.finish_reason, 'stop')
    const u = res.usage
    assert.ok(u && u.prompt_tokens > 0 && u.completion_tokens > 0, 'usage is reported')
    assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens)
  })

  test('chat honours max_tokens with finish_reason "length"', async () => {
    const full = await shared.sdk.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'one two three four five six seven eight' }] })
    const cut = await shared.sdk.chat.completions.create({ model: 'echo', max_tokens: 3, messages: [{ role: 'user', content: 'one two three four five six seven eight' }] })
    assert.equal(cut.choices[0]?.finish_reason, 'length')
    assert.equal(cut.usage?.completion_tokens, 3)
    const text = cut.choices[0]?.message.content ?? ''
    assert.ok(text.length > 0 && text.length < (full.choices[0]?.message.content ?? '').length, `cut answer ${JSON.stringify(text)} is shorter`)
    assert.ok(full.choices[0]?.message.content?.startsWith(text), 'the cut answer is a prefix of the full one')
  })

  test('legacy completions answer the prompt', async () => {
    const res = await shared.sdk.completions.create({ model: 'echo', prompt: 'complete me' })
    assert.equal(res.object, 'text_completion')
    assert.equal(res.choices[0]?.text, 'echo: complete me')
    assert.ok((res.usage?.total_tokens ?? 0) > 0)
  })

  test('embeddings: explicit float gives number arrays', async () => {
    const res = await shared.sdk.embeddings.create({ model: 'echo', input: ['alpha', 'beta'], encoding_format: 'float' })
    assert.equal(res.data.length, 2)
    for (const d of res.data) {
      assert.ok(Array.isArray(d.embedding), 'float embeddings are JSON arrays')
      assert.ok(d.embedding.length > 0)
      assert.ok(Math.abs(Math.hypot(...d.embedding) - 1) < 1e-3, 'a unit vector')
    }
    assert.notDeepEqual(res.data[0]?.embedding, res.data[1]?.embedding)
  })

  test("embeddings: the SDK's default (base64) decodes to the same vectors as float", async () => {
    const asFloat = await shared.sdk.embeddings.create({ model: 'echo', input: 'same text', encoding_format: 'float' })
    // No encoding_format: the SDK asks for base64 and decodes it itself.
    const asDefault = await shared.sdk.embeddings.create({ model: 'echo', input: 'same text' })
    const a = asFloat.data[0]?.embedding ?? []
    const b = Array.from(asDefault.data[0]?.embedding ?? [])
    assert.equal(b.length, a.length)
    a.forEach((v, i) => assert.ok(Math.abs(v - (b[i] ?? NaN)) < 1e-6, `component ${i}`))
    // and the wire really carries base64
    const raw = await postJson('/v1/embeddings', { model: 'echo', input: 'same text', encoding_format: 'base64' })
    const wire = (raw.json.data as Array<{ embedding: unknown }>)[0]?.embedding
    assert.equal(typeof wire, 'string')
  })
})

describe('OpenAI-compatible upstream', () => {
  test("chat reaches the upstream with the deployment's model and key, never the client's key", async () => {
    const client = shared.gw.client('sk-client-key-must-not-travel')
    const res = await client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hello upstream' }] })
    assert.equal(res.choices[0]?.message.content, 'fake: hello upstream')
    const up = lastUpstream()
    assert.equal(up.path, '/v1/chat/completions')
    assert.equal(up.body.model, 'gpt-upstream')
    assert.equal(up.headers.authorization, 'Bearer sk-deployment-secret-gpt')
    assert.ok(!JSON.stringify(up.headers).includes('sk-client-key-must-not-travel'), 'the client key is not forwarded')
    assert.ok(!JSON.stringify(up.body).includes('sk-client-key-must-not-travel'))
  })

  test('a model name with a slash is served, and the part after openai/ goes upstream', async () => {
    const res = await shared.sdk.chat.completions.create({ model: 'team/gpt', messages: [{ role: 'user', content: 'hi' }] })
    assert.equal(res.choices[0]?.message.content, 'fake: hi')
    assert.equal(lastUpstream().body.model, 'gpt-4o-mini')
    assert.equal(lastUpstream().headers.authorization, 'Bearer sk-deployment-secret-team')
  })

  test("unknown fields reach the upstream untouched; the gateway's own fields do not", async () => {
    await shared.sdk.chat.completions.create({
      model: 'gpt',
      messages: [{ role: 'user', content: 'fields' }],
      seed: 42,
      logit_bias: { '50256': -100 },
      // @ts-expect-error fields the SDK does not know, sent as a client would
      foo_extension: { a: 1, nested: [1, 'two', null] },
      guardrails: [],
      metadata: { tag: 'gateway-only' },
    })
    const body = lastUpstream().body
    assert.equal(body.seed, 42)
    assert.deepEqual(body.logit_bias, { '50256': -100 })
    assert.deepEqual(body.foo_extension, { a: 1, nested: [1, 'two', null] })
    assert.ok(!('guardrails' in body), 'guardrails is the gateway’s field')
    assert.ok(!('metadata' in body), 'metadata without store is the gateway’s field')
  })

  test('metadata reaches the upstream when store is true', async () => {
    await shared.sdk.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'stored' }], store: true, metadata: { tag: 'keep' } })
    assert.deepEqual(lastUpstream().body.metadata, { tag: 'keep' })
    assert.equal(lastUpstream().body.store, true)
  })

  test('tools go up untouched and tool calls come back; the tool result turn goes up too', async () => {
    const tools: OpenAI.Chat.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'weather by city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          strict: true,
        },
      },
    ]
    const first = await shared.sdk.chat.completions.create({ model: 'gpt', tools, tool_choice: 'auto', messages: [{ role: 'user', content: 'weather in Paris?' }] })
    assert.deepEqual(lastUpstream().body.tools, tools)
    assert.equal(lastUpstream().body.tool_choice, 'auto')
    const choice = first.choices[0]
    assert.equal(choice?.finish_reason, 'tool_calls')
    const call = choice?.message.tool_calls?.[0]
    assert.ok(call && call.type === 'function')
    assert.equal(call.function.name, 'get_weather')
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' })

    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments } }] },
      { role: 'tool', tool_call_id: call.id, content: 'sunny, 21C' },
    ]
    const second = await shared.sdk.chat.completions.create({ model: 'gpt', tools, messages })
    // the assistant tool call and the tool result reach the upstream as sent
    assert.deepEqual(lastUpstream().body.messages, messages)
    assert.equal(second.object, 'chat.completion')
  })

  test('legacy completions and embeddings are proxied with the deployment model', async () => {
    const c = await shared.sdk.completions.create({ model: 'gpt', prompt: 'say this', max_tokens: 5 })
    assert.equal(c.choices[0]?.text, 'fake: say this')
    assert.equal(lastUpstream().path, '/v1/completions')
    assert.equal(lastUpstream().body.model, 'gpt-upstream')
    assert.equal(lastUpstream().body.max_tokens, 5)

    const e = await shared.sdk.embeddings.create({ model: 'gpt', input: ['a', 'b'], encoding_format: 'float', dimensions: 3 })
    assert.equal(lastUpstream().path, '/v1/embeddings')
    assert.deepEqual(lastUpstream().body, { model: 'gpt-upstream', input: ['a', 'b'], encoding_format: 'float', dimensions: 3 })
    assert.equal(e.data.length, 2)
    assert.deepEqual(e.data[1]?.embedding, [0.2, 0.2, 0.3])
  })
})

describe('paths without /v1', () => {
  test('chat, completions and embeddings answer the same without the prefix', async () => {
    const chat = await postJson('/chat/completions', { model: 'echo', messages: [{ role: 'user', content: 'no prefix' }] })
    assert.equal(chat.status, 200)
    assert.equal((chat.json.choices as Array<{ message: { content: string } }>)[0]?.message.content, 'echo: no prefix')

    const comp = await postJson('/completions', { model: 'echo', prompt: 'no prefix either' })
    assert.equal(comp.status, 200)
    assert.equal((comp.json.choices as Array<{ text: string }>)[0]?.text, 'echo: no prefix either')

    const emb = await postJson('/embeddings', { model: 'echo', input: 'x', encoding_format: 'float' })
    assert.equal(emb.status, 200)
    assert.ok(Array.isArray((emb.json.data as Array<{ embedding: unknown }>)[0]?.embedding))
  })

  test('the SDK works against the bare base URL', async () => {
    const bare = new OpenAI({ baseURL: shared.gw.url, apiKey: 'x', maxRetries: 0 })
    const res = await bare.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'bare' }] })
    assert.equal(res.choices[0]?.message.content, 'fake: bare')
    const models = await bare.models.list()
    assert.deepEqual(models.data.map((m) => m.id).sort(), ['echo', 'gpt', 'team/gpt'])
  })
})

describe('models', () => {
  test('GET /v1/models lists exactly the configured model_names', async () => {
    const list = await shared.sdk.models.list()
    assert.deepEqual(list.data.map((m) => m.id).sort(), ['echo', 'gpt', 'team/gpt'])
    for (const m of list.data) assert.equal(m.object, 'model')
  })

  test('GET /v1/models/{id} returns the model, including one whose name holds a slash', async () => {
    const m = await shared.sdk.models.retrieve('gpt')
    assert.equal(m.id, 'gpt')
    assert.equal(m.object, 'model')
    const slashed = await shared.sdk.models.retrieve('team/gpt') // the SDK encodes it as team%2Fgpt
    assert.equal(slashed.id, 'team/gpt')
    const bare = await fetch(`${shared.gw.url}/models/echo`)
    assert.equal(bare.status, 200)
    assert.equal(((await bare.json()) as { id: string }).id, 'echo')
  })

  test('GET /v1/models/{id} of an unknown model is a 404 model_not_found', async () => {
    await assert.rejects(shared.sdk.models.retrieve('gpt-9000'), (err: unknown) => {
      assert.ok(err instanceof OpenAI.NotFoundError)
      assert.equal(err.code, 'model_not_found')
      return true
    })
  })
})
