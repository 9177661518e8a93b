// A fake Anthropic Messages API on a real socket, for provider and end-to-end
// tests. It answers POST /v1/messages as Anthropic does (JSON, or SSE in
// Anthropic's exact event format when `stream: true`) with predictable content:
//   - last user turn holds tool results → text `anthropic: tool result <content>`
//   - tools given and the last user text mentions "weather" → text, then a
//     get_weather tool_use with input {"city":"Paris"} (streamed in pieces)
//   - streaming and the text mentions "overloaded" → an `error` event mid-stream
//   - streaming and the text mentions "cut off" → the stream stops without message_stop
//   - otherwise → text `anthropic: <last user text>`
// A wrong x-api-key gets Anthropic's 401; `queue()` forces the next answers.
import type { ServerResponse } from 'node:http'
import { sendJson, startJsonServer, type RecordedRequest } from './json-server.ts'

type Json = Record<string, unknown>

export interface FakeAnthropicOptions {
  /** the key the fake accepts (default `sk-ant-test`) */
  apiKey?: string
  /** put the received key in the 401 message, to prove the gateway scrubs it */
  echoKeyInErrors?: boolean
}

export interface FakeAnthropic {
  /** the base URL, without `/v1` */
  url: string
  apiKey: string
  requests: RecordedRequest[]
  /** answer the next request with this status and JSON body instead */
  queue(answer: { status: number; body: unknown; headers?: Record<string, string> }): void
  close(): Promise<void>
}

/** Anthropic's usage numbers in every answer: prompt tokens total 12 + 3 + 5 = 20. */
export const FAKE_INPUT_USAGE = { input_tokens: 12, cache_creation_input_tokens: 3, cache_read_input_tokens: 5 }

interface Block {
  type: string
  text?: string
  content?: unknown
}
interface Msg {
  role: string
  content: string | Block[]
}

export async function startFakeAnthropic(opts: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const apiKey = opts.apiKey ?? 'sk-ant-test'
  const requests: FakeAnthropic['requests'] = []
  const queued: Array<{ status: number; body: unknown; headers?: Record<string, string> }> = []
  let counter = 0

  const server = await startJsonServer((req, res) => {
    const body = req.body
    requests.push({ method: req.method, path: req.url, headers: req.headers, body })
    const forced = queued.shift()
    if (forced) {
      res.writeHead(forced.status, { 'content-type': 'application/json', ...forced.headers })
      return void res.end(JSON.stringify(forced.body))
    }
    if (req.method !== 'POST' || req.url !== '/v1/messages') return sendError(res, 404, 'not_found_error', `no route ${req.url}`)
    const key = req.headers['x-api-key']
    if (key !== apiKey) {
      const echo = opts.echoKeyInErrors ? ` (got ${String(key)})` : ''
      return sendError(res, 401, 'authentication_error', 'invalid x-api-key' + echo)
    }
    if (typeof req.headers['anthropic-version'] !== 'string') {
      return sendError(res, 400, 'invalid_request_error', 'anthropic-version: header is required')
    }
    if (!Array.isArray(body.messages) || typeof body.max_tokens !== 'number') {
      return sendError(res, 400, 'invalid_request_error', 'messages and max_tokens are required')
    }
    counter += 1
    answer(res, body, `msg_fake${counter}`)
  }, errorBody('invalid_request_error', 'request body is not JSON'))

  return {
    url: server.url,
    apiKey,
    requests,
    queue: (a) => void queued.push(a),
    close: () => server.close(),
  }
}

const errorBody = (type: string, message: string): string => JSON.stringify({ type: 'error', error: { type, message } })

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, errorBody(type, message))
}

/** The reply the fake gives, as Anthropic content blocks. */
function plan(body: Json): { blocks: Array<{ type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Json }>; user: string } {
  const messages = body.messages as Msg[]
  const last = [...messages].reverse().find((m) => m.role === 'user')
  const blocks: Block[] = typeof last?.content === 'string' ? [{ type: 'text', text: last.content }] : (last?.content ?? [])
  const results = blocks.filter((b) => b.type === 'tool_result')
  if (results.length > 0) {
    const said = results.map((r) => (typeof r.content === 'string' ? r.content : JSON.stringify(r.content))).join(' ')
    return { blocks: [{ type: 'text', text: `anthropic: tool result ${said}` }], user: said }
  }
  const user = blocks.filter((b) => b.type === 'text').map((b) => b.text).join(' ')
  if (Array.isArray(body.tools) && body.tools.length > 0 && /weather/i.test(user)) {
    return {
      user,
      blocks: [
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_use', id: 'toolu_fake1', name: 'get_weather', input: { city: 'Paris' } },
      ],
    }
  }
  return { blocks: [{ type: 'text', text: `anthropic: ${user}` }], user }
}

function answer(res: ServerResponse, body: Json, id: string): void {
  const { blocks, user } = plan(body)
  const model = typeof body.model === 'string' ? body.model : 'claude-fake'
  const stopReason = blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn'
  const text = blocks.map((b) => (b.type === 'text' ? b.text : '')).join('')
  const outputTokens = text.split(/\s+/).filter(Boolean).length + (stopReason === 'tool_use' ? 7 : 0)

  if (body.stream !== true) {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(
      JSON.stringify({
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: blocks,
        stop_reason: stopReason,
        stop_sequence: null,
        usage: { ...FAKE_INPUT_USAGE, output_tokens: outputTokens },
      }),
    )
    return
  }

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  const send = (event: string, data: Json): void => void res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
  send('message_start', {
    type: 'message_start',
    message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...FAKE_INPUT_USAGE, output_tokens: 1 } },
  })
  send('ping', { type: 'ping' })
  blocks.forEach((b, index) => {
    if (b.type === 'text') {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } })
      // split after each space so the pieces rejoin to the exact text
      for (const piece of b.text.split(/(?<= )/)) {
        send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } })
      }
    } else {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } })
      const json = JSON.stringify(b.input)
      const pieces = ['', json.slice(0, 5), json.slice(5, 11), json.slice(11)] // Anthropic starts with an empty piece
      for (const partial_json of pieces) {
        send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } })
      }
    }
    send('content_block_stop', { type: 'content_block_stop', index })
  })
  if (/overloaded/i.test(user)) {
    send('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })
    res.end()
    return
  }
  if (/cut off/i.test(user)) {
    res.end()
    return
  }
  send('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } })
  send('message_stop', { type: 'message_stop' })
  res.end()
}
