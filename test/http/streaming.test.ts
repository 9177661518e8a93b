// Server-Sent Events through the gateway: the echo model, an OpenAI-compatible
// upstream (the fake) and streamed tool calls, read both with the official SDK
// and as raw bytes.
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import OpenAI from 'openai'
import { collect, openaiModel, useSharedGateway } from '../helpers/gateway.ts'

let toolUpstream: { url: string; server: Server; bodies: Array<Record<string, unknown>> }

/**
 * An OpenAI-compatible upstream that streams a tool call the way OpenAI does:
 * id and name in the first delta, the arguments in pieces after it.
 */
async function startToolStreamUpstream(): Promise<typeof toolUpstream> {
  const bodies: Array<Record<string, unknown>> = []
  const server = createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (raw += c))
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>
      bodies.push(body)
      const base = { id: 'chatcmpl-tools', object: 'chat.completion.chunk', created: 1, model: body.model }
      const send = (choice: Record<string, unknown>): void => void res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, finish_reason: null, ...choice }] })}\n\n`)
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      send({ delta: { role: 'assistant', content: null } })
      send({ delta: { tool_calls: [{ index: 0, id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '' } }] } })
      for (const piece of ['{"ci', 'ty": "Pa', 'ris", "unit"', ': "C"}']) {
        send({ delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] } })
      }
      send({ delta: {}, finish_reason: 'tool_calls' })
      res.end('data: [DONE]\n\n')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server, bodies }
}

// echo, gpt on the fake upstream, and tooly on the tool-streaming one
const shared = useSharedGateway({
  models: async () => {
    toolUpstream = await startToolStreamUpstream()
    return openaiModel('tooly', toolUpstream.url)
  },
})
after(async () => {
  toolUpstream.server.closeAllConnections()
  await new Promise<void>((resolve) => toolUpstream.server.close(() => resolve()))
})

type Chunk = OpenAI.Chat.ChatCompletionChunk

const contentOf = (chunks: Chunk[]): string => chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')
const contentChunks = (chunks: Chunk[]): number => chunks.filter((c) => (c.choices[0]?.delta.content ?? '') !== '').length
const finishOf = (chunks: Chunk[]): string | null | undefined => chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason

/** The `data:` payloads of a raw SSE body, in order. */
function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      assert.match(block, /^data: /, `every event is a data line: ${JSON.stringify(block)}`)
      return block.slice('data: '.length)
    })
}

describe('echo model', () => {
  test('streams the answer in several chunks, finish_reason stop, no usage unless asked', async () => {
    const chunks = await collect(
      await shared.sdk.chat.completions.create({ model: 'echo', stream: true, messages: [{ role: 'user', content: 'stream these five words please' }] }),
    )
    assert.equal(contentOf(chunks), 'echo: stream these five words please')
    assert.ok(contentChunks(chunks) >= 3, `several content chunks, got ${contentChunks(chunks)}`)
    assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant')
    assert.equal(finishOf(chunks), 'stop')
    assert.ok(chunks.every((c) => !c.usage), 'no usage chunk without stream_options.include_usage')
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'))
  })

  test('stream_options.include_usage ends with a usage chunk with no choices', async () => {
    const chunks = await collect(
      await shared.sdk.chat.completions.create({
        model: 'echo',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'count me' }],
      }),
    )
    const last = chunks.at(-1)
    assert.ok(last?.usage, 'the last chunk carries usage')
    assert.deepEqual(last.choices, [])
    assert.ok(last.usage.prompt_tokens > 0 && last.usage.completion_tokens > 0)
    assert.equal(last.usage.total_tokens, last.usage.prompt_tokens + last.usage.completion_tokens)
    assert.equal(chunks.filter((c) => c.usage).length, 1, 'usage comes once')
  })

  test('max_tokens cuts the stream with finish_reason length', async () => {
    const chunks = await collect(
      await shared.sdk.chat.completions.create({ model: 'echo', stream: true, max_tokens: 2, messages: [{ role: 'user', content: 'a long answer would follow here' }] }),
    )
    assert.equal(finishOf(chunks), 'length')
    assert.ok(contentOf(chunks).length < 'echo: a long answer would follow here'.length)
  })

  test('legacy completions stream too, with usage when asked', async () => {
    const chunks = await collect(
      await shared.sdk.completions.create({ model: 'echo', prompt: 'complete this stream', stream: true, stream_options: { include_usage: true } }),
    )
    assert.equal(chunks.map((c) => c.choices[0]?.text ?? '').join(''), 'echo: complete this stream')
    assert.ok(chunks.filter((c) => (c.choices[0]?.text ?? '') !== '').length >= 3)
    assert.equal(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason, 'stop')
    assert.ok(chunks.at(-1)?.usage?.total_tokens)
  })

  test('raw SSE: event-stream headers, one data line per chunk, [DONE] last, with and without /v1', async () => {
    for (const path of ['/v1/chat/completions', '/chat/completions']) {
      const res = await fetch(shared.gw.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'echo', stream: true, messages: [{ role: 'user', content: 'raw bytes' }] }),
      })
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/)
      assert.ok(res.headers.get('x-request-id'), 'a stream carries x-request-id')
      const data = sseData(await res.text())
      assert.equal(data.at(-1), '[DONE]')
      const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as Chunk)
      assert.equal(contentOf(chunks), 'echo: raw bytes')
    }
  })
})

describe('OpenAI-compatible upstream', () => {
  test('relays the upstream stream and its usage chunk; the upstream is asked to stream', async () => {
    shared.fake.queue({ kind: 'stream', chunks: ['alpha ', 'beta ', 'gamma'] })
    const chunks = await collect(
      await shared.sdk.chat.completions.create({ model: 'gpt', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'go' }] }),
    )
    assert.equal(contentOf(chunks), 'alpha beta gamma')
    assert.equal(contentChunks(chunks), 3)
    assert.equal(finishOf(chunks), 'stop')
    assert.ok(chunks.at(-1)?.usage?.total_tokens, 'usage chunk relayed')
    const up = shared.fake.requests.at(-1)
    assert.equal(up?.body.stream, true)
    assert.deepEqual(up?.body.stream_options, { include_usage: true })
    assert.equal(up?.body.model, 'gpt-upstream')
    assert.equal(up?.headers.authorization, 'Bearer sk-deployment-secret-gpt')
  })

  test('legacy completions stream from the upstream', async () => {
    shared.fake.queue({ kind: 'stream', chunks: ['one ', 'two'] })
    const chunks = await collect(await shared.sdk.completions.create({ model: 'gpt', prompt: 'p', stream: true }))
    assert.equal(chunks.map((c) => c.choices[0]?.text ?? '').join(''), 'one two')
    assert.equal(shared.fake.requests.at(-1)?.path, '/v1/completions')
  })

  test('an upstream refusal before the first byte is a plain JSON error with its status', async () => {
    shared.fake.queue({ kind: 'status', status: 400, body: { error: { message: 'bad stream request', type: 'invalid_request_error', param: null, code: 'nope' } } })
    const res = await fetch(`${shared.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    })
    assert.equal(res.status, 400)
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    const body = (await res.json()) as { error: { message: string; code: string } }
    assert.equal(body.error.message, 'bad stream request')
    assert.equal(body.error.code, 'nope')
  })

  test('an upstream error after the first bytes ends the stream with an error the SDK raises', async () => {
    shared.fake.queue({ kind: 'stream', chunks: ['partial '], errorAfter: true })
    const stream = await shared.sdk.chat.completions.create({ model: 'gpt', stream: true, messages: [{ role: 'user', content: 'x' }] })
    const seen: Chunk[] = []
    await assert.rejects(
      (async () => {
        for await (const c of stream) seen.push(c)
      })(),
      (err: unknown) => {
        assert.ok(err instanceof OpenAI.APIError, `an APIError, got ${String(err)}`)
        assert.match(err.message, /fake upstream failed mid-stream/)
        return true
      },
    )
    assert.equal(contentOf(seen), 'partial ')
  })

  test('streamed tool calls arrive in pieces and the SDK reassembles valid JSON arguments', async () => {
    const tools: OpenAI.Chat.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
    ]
    const runner = shared.sdk.chat.completions.stream({ model: 'tooly', tools, messages: [{ role: 'user', content: 'weather?' }] })
    const final = await runner.finalChatCompletion()
    assert.deepEqual(toolUpstream.bodies.at(-1)?.tools, tools)
    const choice = final.choices[0]
    assert.equal(choice?.finish_reason, 'tool_calls')
    const call = choice?.message.tool_calls?.[0]
    assert.ok(call && call.type === 'function')
    assert.equal(call.id, 'call_abc')
    assert.equal(call.function.name, 'get_weather')
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris', unit: 'C' })
  })
})
