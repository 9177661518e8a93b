// A scriptable fake OpenAI-compatible upstream for integration tests: a real
// HTTP server on 127.0.0.1 that records every request and answers chat,
// completions and embeddings — or fails in the ways real upstreams fail.
import type { ServerResponse } from 'node:http'
import { type JsonRequest, type RecordedRequest, recorder, startJsonServer } from './json-server.ts'

/** What the fake does with one request. */
export type Behaviour =
  | { kind: 'reply'; delayMs?: number; content?: string }
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'destroy' }
  /** answer 200 with the start of a JSON body, then drop the connection */
  | { kind: 'truncated' }
  | { kind: 'html'; status?: number }
  | {
      kind: 'stream'
      /** content pieces, one per chunk (default: the answer split in words) */
      chunks?: string[]
      delayMs?: number
      /** per-chunk delays, overriding delayMs for the chunks they cover */
      delays?: number[]
      /** after the chunks, send an error event instead of finishing */
      errorAfter?: boolean
      /** after the chunks, drop the connection */
      dropAfter?: boolean
      /** never send a usage chunk, even when asked (some servers do not) */
      noUsage?: boolean
    }

export interface FakeOpenAI {
  /** base URL to use as api_base, ending in /v1 */
  url: string
  requests: RecordedRequest[]
  /** behaviours for the next requests, in order; afterwards `fallback` applies */
  queue(...b: Behaviour[]): void
  fallback: Behaviour
  /** requests whose client went away before the answer was complete */
  readonly aborted: number
  waitForRequests(n: number): Promise<void>
  waitForAbort(): Promise<void>
  close(): Promise<void>
}

const lastUserText = (body: Record<string, unknown>): string => {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<{ role?: string; content?: unknown }>) : []
  const last = [...messages].reverse().find((m) => m.role === 'user')
  if (!last) return typeof body.prompt === 'string' ? body.prompt : ''
  if (typeof last.content === 'string') return last.content
  if (Array.isArray(last.content)) return last.content.map((p: { text?: string }) => p.text ?? '').join('')
  return ''
}

export async function startFakeOpenAI(opts: { name?: string } = {}): Promise<FakeOpenAI> {
  const name = opts.name ?? 'upstream'
  const log = recorder<RecordedRequest>()
  const requests = log.requests
  const pending: Behaviour[] = []
  let aborted = 0
  const abortWaiters: Array<() => void> = []

  const fake: FakeOpenAI = {
    url: '',
    requests,
    queue: (...b) => pending.push(...b),
    fallback: { kind: 'reply' },
    get aborted() {
      return aborted
    },
    waitForRequests: log.waitFor,
    waitForAbort: () => new Promise((resolve) => abortWaiters.push(resolve)),
    close: () => server.close(),
  }

  const server = await startJsonServer((req, res) => {
    log.record({ method: req.method, path: req.url, headers: req.headers, body: req.body })
    res.on('close', () => {
      if (!res.writableFinished) {
        aborted++
        abortWaiters.splice(0).forEach((w) => w())
      }
    })
    return answer(req, res, pending.shift() ?? fake.fallback)
  })

  async function answer(req: JsonRequest, res: ServerResponse, b: Behaviour): Promise<void> {
    const { path, body } = req
    const text = `${name}: ${lastUserText(body)}`
    switch (b.kind) {
      case 'hang':
        return
      case 'destroy':
        res.socket?.destroy()
        return
      case 'truncated':
        res.writeHead(200, { 'content-type': 'application/json' })
        res.write('{"id":"chatcmpl-fake","object":"chat.completion","choices":[{"index":0,"mess')
        // after the first bytes have left, so the client sees a 200 cut short
        setTimeout(() => res.socket?.destroy(), 20)
        return
      case 'html':
        res.writeHead(b.status ?? 502, { 'content-type': 'text/html' }).end('<html><body>Bad Gateway</body></html>')
        return
      case 'status': {
        const payload = typeof b.body === 'string' ? b.body : JSON.stringify(b.body ?? { error: { message: `fake ${b.status}`, type: 'server_error' } })
        res.writeHead(b.status, { 'content-type': 'application/json', ...b.headers }).end(payload)
        return
      }
      case 'reply':
        if (b.delayMs) await sleep(b.delayMs)
        if (res.destroyed) return
        // a real upstream streams when asked to, whatever else it is told to say
        if (body.stream === true) return stream(res, path, body, { kind: 'stream' }, b.content ?? text)
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jsonAnswer(path, body, b.content ?? text)))
        return
      case 'stream':
        await stream(res, path, body, b, text)
    }
  }

  fake.url = `${server.url}/v1`
  return fake
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function usageOf(body: Record<string, unknown>, text: string): Record<string, number> {
  const prompt = JSON.stringify(body.messages ?? body.prompt ?? body.input ?? '').length >> 2
  const completion = Math.max(1, text.length >> 2)
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
}

function jsonAnswer(path: string, body: Record<string, unknown>, text: string): Record<string, unknown> {
  const created = Math.floor(Date.now() / 1000)
  if (path.endsWith('/embeddings')) {
    const inputs = Array.isArray(body.input) ? body.input : [body.input]
    return {
      object: 'list',
      model: body.model,
      data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.1 * (index + 1), 0.2, 0.3] })),
      usage: { prompt_tokens: 3, total_tokens: 3 },
    }
  }
  if (path.endsWith('/completions') && !path.endsWith('/chat/completions')) {
    return { id: 'cmpl-fake', object: 'text_completion', created, model: body.model, choices: [{ index: 0, text, finish_reason: 'stop', logprobs: null }], usage: usageOf(body, text) }
  }
  const tools = Array.isArray(body.tools) ? (body.tools as Array<{ function?: { name?: string } }>) : []
  const message: Record<string, unknown> =
    tools.length > 0 && /weather/i.test(text)
      ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: tools[0]?.function?.name ?? 'tool', arguments: '{"city":"Paris"}' } }] }
      : { role: 'assistant', content: text }
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created,
    model: body.model,
    choices: [{ index: 0, message, finish_reason: message.tool_calls ? 'tool_calls' : 'stop', logprobs: null }],
    usage: usageOf(body, text),
  }
}

async function stream(res: ServerResponse, path: string, body: Record<string, unknown>, b: Extract<Behaviour, { kind: 'stream' }>, text: string): Promise<void> {
  const chat = path.endsWith('/chat/completions')
  const pieces = b.chunks ?? text.match(/\S+\s*/g) ?? [text]
  const created = Math.floor(Date.now() / 1000)
  const send = (obj: unknown): boolean => !res.destroyed && res.write(`data: ${JSON.stringify(obj)}\n\n`)
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  const chunk = (content: string | undefined, finish: string | null, role?: string): unknown =>
    chat
      ? { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta: { ...(role ? { role } : {}), ...(content !== undefined ? { content } : {}) }, finish_reason: finish }] }
      : { id: 'cmpl-fake', object: 'text_completion', created, model: body.model, choices: [{ index: 0, text: content ?? '', finish_reason: finish }] }
  if (chat) send(chunk('', null, 'assistant'))
  for (const [i, p] of pieces.entries()) {
    const delay = b.delays?.[i] ?? b.delayMs
    if (delay) await sleep(delay)
    if (res.destroyed) return
    send(chunk(p, null))
  }
  if (b.dropAfter) {
    res.socket?.destroy()
    return
  }
  if (b.errorAfter) {
    send({ error: { message: 'fake upstream failed mid-stream', type: 'server_error' } })
    res.end()
    return
  }
  send(chunk(undefined, 'stop'))
  const so = body.stream_options as { include_usage?: boolean } | undefined
  if (so?.include_usage && !b.noUsage) send({ id: 'chatcmpl-fake', object: chat ? 'chat.completion.chunk' : 'text_completion', created, model: body.model, choices: [], usage: usageOf(body, pieces.join('')) })
  res.end('data: [DONE]\n\n')
}
