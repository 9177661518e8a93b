// The built-in `echo/…` model: answers `echo: <last user text>` without any
// network, streams it in small chunks and reports real token usage. It is what
// the offline default config, the tests and the benchmark's gateway use.
import { createHash, randomUUID } from 'node:crypto'
import { GatewayError } from '../errors.ts'
import { countTokens, truncateTokens } from './tokens.ts'
import type {
  ChatChunk,
  ChatCompletion,
  ChatMessage,
  ChatRequest,
  Completion,
  CompletionRequest,
  Deployment,
  EmbeddingResponse,
  Provider,
  Usage,
} from './types.ts'

export function createEchoProvider(): Provider {
  return {
    async chat(d, body) {
      const { text, finish, usage } = await answer(d, body.messages, maxTokens(body))
      const n = body.n ?? 1
      return {
        id: `chatcmpl-echo-${randomUUID()}`,
        object: 'chat.completion',
        created: now(),
        model: d.model,
        choices: Array.from({ length: n }, (_, index) => ({
          index,
          message: { role: 'assistant', content: text },
          finish_reason: finish,
          logprobs: null,
        })),
        usage: { ...usage, completion_tokens: usage.completion_tokens * n, total_tokens: usage.prompt_tokens + usage.completion_tokens * n },
      } satisfies ChatCompletion
    },

    async chatStream(d, body, opts) {
      const { text, finish, usage } = await answer(d, body.messages, maxTokens(body))
      const id = `chatcmpl-echo-${randomUUID()}`
      const created = now()
      const base = { id, object: 'chat.completion.chunk' as const, created, model: d.model }
      const includeUsage = body.stream_options?.include_usage === true
      const pieces = chunk(text, d.params.chunk_size)
      return (async function* (): AsyncGenerator<ChatChunk> {
        yield { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }
        for (const content of pieces) {
          if (opts.signal.aborted) return
          // let the event loop run between chunks, as a network stream would
          await new Promise<void>((r) => setImmediate(r))
          yield { ...base, choices: [{ index: 0, delta: { content }, finish_reason: null }] }
        }
        yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: finish }] }
        if (includeUsage) yield { ...base, choices: [], usage }
      })()
    },

    async completion(d, body) {
      const { text, finish, usage } = await answer(d, [{ role: 'user', content: promptText(body) }], maxTokens(body))
      return {
        id: `cmpl-echo-${randomUUID()}`,
        object: 'text_completion',
        created: now(),
        model: d.model,
        choices: [{ index: 0, text, finish_reason: finish, logprobs: null }],
        usage,
      }
    },

    async completionStream(d, body, opts) {
      const { text, finish, usage } = await answer(d, [{ role: 'user', content: promptText(body) }], maxTokens(body))
      const base = { id: `cmpl-echo-${randomUUID()}`, object: 'text_completion' as const, created: now(), model: d.model }
      const includeUsage = body.stream_options?.include_usage === true
      const pieces = chunk(text, d.params.chunk_size)
      return (async function* (): AsyncGenerator<Completion> {
        for (const piece of pieces) {
          if (opts.signal.aborted) return
          await new Promise<void>((r) => setImmediate(r))
          yield { ...base, choices: [{ index: 0, text: piece, finish_reason: null, logprobs: null }] }
        }
        yield { ...base, choices: [{ index: 0, text: '', finish_reason: finish, logprobs: null }] }
        if (includeUsage) yield { ...base, choices: [], usage }
      })()
    },

    async embeddings(d, body) {
      const inputs = Array.isArray(body.input) ? body.input : [body.input]
      const dims = body.dimensions ?? 16
      if (!Number.isInteger(dims) || dims < 1 || dims > 4096) {
        throw new GatewayError(400, 'dimensions must be an integer from 1 to 4096', { param: 'dimensions' })
      }
      const texts = inputs.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
      const tokens = await countTokens(texts)
      return {
        object: 'list',
        model: d.model,
        data: texts.map((t, index) => {
          const vector = embed(t, dims)
          return {
            object: 'embedding' as const,
            index,
            embedding: body.encoding_format === 'base64' ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector),
          }
        }),
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      } satisfies EmbeddingResponse
    },
  }
}

const now = (): number => Math.floor(Date.now() / 1000)

function maxTokens(body: ChatRequest | CompletionRequest): number | undefined {
  const m = body.max_completion_tokens ?? body.max_tokens
  return typeof m === 'number' ? m : undefined
}

function textOf(m: ChatMessage): string {
  if (typeof m.content === 'string') return m.content
  if (Array.isArray(m.content)) return m.content.map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : '')).join('')
  return ''
}

function promptText(body: CompletionRequest): string {
  return Array.isArray(body.prompt) ? body.prompt.join('\n') : String(body.prompt ?? '')
}

async function answer(
  _d: Deployment,
  messages: ChatMessage[],
  max: number | undefined,
): Promise<{ text: string; finish: 'stop' | 'length'; usage: Usage }> {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user')
  let text = `echo: ${lastUser ? textOf(lastUser) : ''}`
  let completion = await countTokens([text])
  let finish: 'stop' | 'length' = 'stop'
  if (max !== undefined && completion > max) {
    const cut = await truncateTokens(text, max)
    if (cut.truncated) {
      text = cut.text
      finish = 'length'
    }
    completion = cut.tokens
  }
  const prompt = await countTokens(messages.map(textOf))
  return { text, finish, usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } }
}

/** Words with their trailing space, or fixed-width pieces when `chunk_size` is set. */
function chunk(text: string, size: unknown): string[] {
  if (typeof size === 'number' && size > 0) {
    const out: string[] = []
    for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
    return out
  }
  return text.match(/\S+\s*|\s+/g) ?? []
}

/** A deterministic unit vector derived from the text, so equal inputs embed equally. */
function embed(text: string, dims: number): Float32Array {
  const out = new Float32Array(dims)
  let seed = createHash('sha256').update(text).digest()
  for (let i = 0; i < dims; i++) {
    if (i % 32 === 0 && i > 0) seed = createHash('sha256').update(seed).digest()
    out[i] = ((seed[i % 32] ?? 0) - 127.5) / 127.5
  }
  const norm = Math.hypot(...out) || 1
  for (let i = 0; i < dims; i++) out[i] = (out[i] ?? 0) / norm
  return out
}

