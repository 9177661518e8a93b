// A minimal OpenAI-compatible upstream for the load benchmark: answers
// POST /v1/chat/completions at once with a fixed small chat completion, or, for
// `"stream": true`, with an SSE stream of ten content chunks and [DONE]. No
// delays, no parsing beyond a look for the stream flag (and for the prompt,
// which must arrive unchanged), so that it costs as little CPU as possible on a
// machine it shares with what it measures.
//   node bench/fake-upstream.ts [--port P]   prints "listening on http://127.0.0.1:P"
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'
import { listen } from './listen.ts'
import { ANSWER_CHUNKS, ANSWER_TEXT, USER_PROMPT } from './payload.ts'

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } })

const CREATED = 1_700_000_000
const ID = 'chatcmpl-bench0001'

const JSON_ANSWER = Buffer.from(
  JSON.stringify({
    id: ID,
    object: 'chat.completion',
    created: CREATED,
    model: 'bench-model',
    choices: [{ index: 0, message: { role: 'assistant', content: ANSWER_TEXT, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 231, completion_tokens: 64, total_tokens: 295 },
  }),
)

const chunk = (delta: object, finish: string | null): string =>
  `data: ${JSON.stringify({ id: ID, object: 'chat.completion.chunk', created: CREATED, model: 'bench-model', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`

/** One Buffer per SSE event: the role, ten content pieces, the finish, usage, [DONE]. */
const STREAM_EVENTS: Buffer[] = [
  chunk({ role: 'assistant', content: '' }, null),
  ...ANSWER_CHUNKS.map((c) => chunk({ content: c }, null)),
  chunk({}, 'stop'),
  `data: ${JSON.stringify({ id: ID, object: 'chat.completion.chunk', created: CREATED, model: 'bench-model', choices: [], usage: { prompt_tokens: 231, completion_tokens: 64, total_tokens: 295 } })}\n\n`,
  'data: [DONE]\n\n',
].map((s) => Buffer.from(s))

const STREAM_FLAG = /"stream"\s*:\s*true/

const server = createServer((req, res) => {
  const parts: Buffer[] = []
  req.on('data', (c: Buffer) => parts.push(c))
  req.on('end', () => {
    const path = (req.url ?? '').split('?')[0]
    if (req.method !== 'POST' || (path !== '/v1/chat/completions' && path !== '/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end('{"error":{"message":"not found","type":"invalid_request_error"}}')
      return
    }
    const body = Buffer.concat(parts).toString('utf8')
    // the bench's premise: no guardrail touches the prompt (the prompt needs no JSON escaping)
    if (!body.includes(USER_PROMPT)) {
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end('{"error":{"message":"bench fake upstream: the prompt arrived changed","type":"invalid_request_error","code":"bench_prompt_changed"}}')
      return
    }
    if (STREAM_FLAG.test(body)) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      // each event its own write, as a model server sends them (they may still share a packet)
      for (const ev of STREAM_EVENTS) res.write(ev)
      res.end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': JSON_ANSWER.length })
    res.end(JSON_ANSWER)
  })
})
listen(server, values.host, Number(values.port))
