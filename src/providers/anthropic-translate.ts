// Pure translation between the OpenAI chat wire format and Anthropic's Messages
// API (https://docs.anthropic.com/en/api/messages). No I/O: anthropic.ts does
// the calls. Fields Anthropic has no equivalent for are dropped, because the
// Messages API rejects unknown top-level fields with a 400.
import { GatewayError, UpstreamError, badRequest } from '../errors.ts'
import type {
  ChatChunk,
  ChatCompletion,
  ChatMessage,
  ChatRequest,
  Completion,
  CompletionRequest,
  ContentPart,
  ToolCall,
  ToolCallDelta,
  Usage,
} from './types.ts'
import type { JsonObject } from '../json.ts'

// ---- Anthropic wire shapes (the subset Portcullis writes and reads) ----

export type AnthropicImageSource = { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string }

export type AnthropicBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; source: AnthropicImageSource }
  | { type: 'tool_use'; id: string; name: string; input: JsonObject }
  | { type: 'tool_result'; tool_use_id: string; content: string | AnthropicBlock[] }

export interface AnthropicMessage {
  role: 'user' | 'assistant'
  content: AnthropicBlock[]
}

export type AnthropicToolChoice =
  | { type: 'auto' | 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'none' }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }

export interface AnthropicRequest {
  model: string
  messages: AnthropicMessage[]
  system?: string
  max_tokens: number
  temperature?: number
  top_p?: number
  top_k?: number
  stop_sequences?: string[]
  tools?: Array<{ name: string; description?: string; input_schema: JsonObject }>
  tool_choice?: AnthropicToolChoice
  metadata?: { user_id: string }
  stream?: boolean
}

export interface AnthropicUsage {
  input_tokens?: number
  output_tokens?: number
  cache_creation_input_tokens?: number | null
  cache_read_input_tokens?: number | null
}

/** A Messages API answer; blocks are read defensively since only `content` is checked. */
export interface AnthropicResponse {
  id: string
  model: string
  content: Array<{ type?: unknown; text?: unknown; id?: unknown; name?: unknown; input?: unknown }>
  stop_reason?: string | null
  usage?: AnthropicUsage
}

export const DEFAULT_MAX_TOKENS = 4096

// ---- request: OpenAI chat → Anthropic ----

export function toAnthropicRequest(body: ChatRequest, model: string): AnthropicRequest {
  if (typeof body.n === 'number' && body.n > 1) {
    throw badRequest('anthropic models return one choice per request; n must be 1', 'n')
  }
  if (!Array.isArray(body.messages)) throw badRequest('messages must be an array', 'messages')

  const system: string[] = []
  const messages: AnthropicMessage[] = []
  body.messages.forEach((m, i) => {
    if (m.role === 'system' || m.role === 'developer') {
      const text = textOf(m.content, i)
      if (text !== '') system.push(text)
      return
    }
    const translated = toAnthropicMessage(m, i)
    if (translated.content.length === 0) return // Anthropic rejects empty messages
    // Anthropic requires user/assistant alternation: merge runs of one role
    // (e.g. several tool results, or a tool result followed by a user turn).
    const last = messages.at(-1)
    if (last && last.role === translated.role) last.content.push(...translated.content)
    else messages.push(translated)
  })

  const out: AnthropicRequest = {
    model,
    messages,
    max_tokens: body.max_tokens ?? body.max_completion_tokens ?? DEFAULT_MAX_TOKENS,
  }
  if (system.length > 0) out.system = system.join('\n\n')
  if (typeof body.temperature === 'number') out.temperature = body.temperature
  if (typeof body.top_p === 'number') out.top_p = body.top_p
  if (typeof body.top_k === 'number') out.top_k = body.top_k // Anthropic-native; some clients send it
  if (typeof body.stop === 'string') out.stop_sequences = [body.stop]
  else if (Array.isArray(body.stop) && body.stop.length > 0) out.stop_sequences = body.stop
  const tools = (body.tools ?? []).filter((t) => t.type === 'function' && t.function)
  if (tools.length > 0) {
    out.tools = tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description !== undefined ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: 'object', properties: {} },
    }))
    const choice = toAnthropicToolChoice(body)
    if (choice) out.tool_choice = choice
  }
  if (typeof body.user === 'string' && body.user !== '') out.metadata = { user_id: body.user }
  if (body.stream === true) out.stream = true
  return out
}

function toAnthropicToolChoice(body: ChatRequest): AnthropicToolChoice | undefined {
  // OpenAI's parallel_tool_calls:false is Anthropic's disable_parallel_tool_use.
  const serial = body.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {}
  const c = body.tool_choice
  if (c === undefined || c === null) return body.parallel_tool_calls === false ? { type: 'auto', ...serial } : undefined
  if (c === 'auto') return { type: 'auto', ...serial }
  if (c === 'required') return { type: 'any', ...serial }
  if (c === 'none') return { type: 'none' }
  if (typeof c === 'object' && c.type === 'function' && typeof c.function?.name === 'string') {
    return { type: 'tool', name: c.function.name, ...serial }
  }
  throw badRequest('tool_choice must be auto, none, required or {type:"function",function:{name}}', 'tool_choice')
}

function toAnthropicMessage(m: ChatMessage, i: number): AnthropicMessage {
  switch (m.role) {
    case 'user':
      return { role: 'user', content: toBlocks(m.content, i) }
    case 'assistant': {
      // Anthropic rejects empty text blocks, which toBlocks never produces.
      const content: AnthropicBlock[] = toBlocks(m.content, i)
      for (const call of m.tool_calls ?? []) content.push(toToolUse(call))
      return { role: 'assistant', content }
    }
    case 'tool': {
      if (typeof m.tool_call_id !== 'string' || m.tool_call_id === '') {
        throw badRequest(`messages[${i}] has role tool but no tool_call_id`, `messages[${i}].tool_call_id`)
      }
      const content = typeof m.content === 'string' || m.content == null ? (m.content ?? '') : toBlocks(m.content, i)
      return { role: 'user', content: [{ type: 'tool_result', tool_use_id: m.tool_call_id, content }] }
    }
    default:
      throw badRequest(`messages[${i}] has role ${JSON.stringify(m.role)}, which anthropic models do not accept`, `messages[${i}].role`)
  }
}

function toToolUse(call: ToolCall): AnthropicBlock {
  const name = call.function?.name
  const raw = call.function?.arguments ?? ''
  let input: unknown
  try {
    // Some clients send "" for a function without parameters.
    input = raw.trim() === '' ? {} : JSON.parse(raw)
  } catch {
    input = undefined
  }
  if (typeof name !== 'string' || name === '') throw badRequest(`tool call ${call.id} has no function name`, 'messages')
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new GatewayError(400, `tool call ${call.id} (${name}) has arguments that are not a JSON object`, {
      param: 'messages',
      code: 'invalid_tool_arguments',
    })
  }
  return { type: 'tool_use', id: call.id, name, input: input as JsonObject }
}

function toBlocks(content: ChatMessage['content'], i: number): AnthropicBlock[] {
  if (content == null) return []
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }]
  if (!Array.isArray(content)) throw badRequest(`messages[${i}].content must be a string or an array`, `messages[${i}].content`)
  const blocks: AnthropicBlock[] = []
  for (const part of content) {
    if (part.type === 'text') {
      if (typeof part.text === 'string' && part.text !== '') blocks.push({ type: 'text', text: part.text })
    } else if (part.type === 'image_url') {
      blocks.push({ type: 'image', source: imageSource(part, i) })
    } else {
      throw badRequest(`messages[${i}] has a ${JSON.stringify(part.type)} content part, which anthropic models do not accept`, `messages[${i}].content`)
    }
  }
  return blocks
}

function imageSource(part: ContentPart, i: number): AnthropicImageSource {
  const url = part.image_url?.url
  if (typeof url !== 'string') throw badRequest(`messages[${i}] has an image_url part without a url`, `messages[${i}].content`)
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url)
  if (data) return { type: 'base64', media_type: data[1] as string, data: data[2] as string }
  if (/^https?:\/\//i.test(url)) return { type: 'url', url }
  throw badRequest(`messages[${i}] has an image url that is neither a base64 data: URL nor http(s)`, `messages[${i}].content`)
}

/** The text of a system/developer message (string or text parts). */
function textOf(content: ChatMessage['content'], i: number): string {
  if (content == null) return ''
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) throw badRequest(`messages[${i}].content must be a string or an array`, `messages[${i}].content`)
  return content
    .map((p) => {
      if (p.type !== 'text') throw badRequest(`messages[${i}] is a system message with a ${JSON.stringify(p.type)} part; only text is allowed`, `messages[${i}].content`)
      return p.text ?? ''
    })
    .join('')
}

// ---- response: Anthropic → OpenAI chat ----

export function finishReason(stop: string | null | undefined): string | null {
  switch (stop) {
    case null:
    case undefined:
      return null
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length'
    case 'tool_use':
      return 'tool_calls'
    case 'refusal':
      return 'content_filter'
    default: // end_turn, stop_sequence, pause_turn
      return 'stop'
  }
}

export function toUsage(u: AnthropicUsage | undefined): Usage {
  const prompt = (u?.input_tokens ?? 0) + (u?.cache_creation_input_tokens ?? 0) + (u?.cache_read_input_tokens ?? 0)
  const completion = u?.output_tokens ?? 0
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
}

export function fromAnthropicResponse(res: AnthropicResponse): ChatCompletion {
  let text = ''
  const toolCalls: ToolCall[] = []
  for (const block of res.content) {
    if (block.type === 'text' && typeof block.text === 'string') text += block.text
    else if (block.type === 'tool_use' && typeof block.id === 'string' && typeof block.name === 'string') {
      toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } })
    }
    // thinking and server-tool blocks have no OpenAI equivalent and are skipped
  }
  const message: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
  }
  if (toolCalls.length > 0) message.tool_calls = toolCalls
  return {
    id: 'chatcmpl-' + res.id,
    object: 'chat.completion',
    created: nowSeconds(),
    model: res.model,
    choices: [{ index: 0, message, finish_reason: finishReason(res.stop_reason) ?? 'stop', logprobs: null }],
    usage: toUsage(res.usage),
  }
}

// ---- stream: Anthropic SSE events → OpenAI chat chunks ----

/** The fields of any Anthropic stream event that the translator reads. */
interface StreamEventData {
  type?: unknown
  index?: unknown
  message?: { id?: unknown; model?: unknown; usage?: AnthropicUsage }
  content_block?: { type?: unknown; id?: unknown; name?: unknown; text?: unknown }
  delta?: { type?: unknown; text?: unknown; partial_json?: unknown; stop_reason?: unknown }
  usage?: AnthropicUsage
  error?: { type?: unknown; message?: unknown }
}

/**
 * Feed it each SSE event of one Anthropic stream in order; it returns the
 * OpenAI chunks to send (often none). `done` turns true at message_stop, so the
 * caller can tell a complete stream from one cut short.
 */
export class AnthropicStreamTranslator {
  done = false
  private id = 'chatcmpl-anthropic'
  private model = ''
  private readonly created = nowSeconds()
  private readonly includeUsage: boolean
  /** Anthropic content-block index → OpenAI tool_calls index (tools counted from 0) */
  private readonly toolIndex = new Map<number, number>()
  private usage: AnthropicUsage = {}

  constructor(opts: { includeUsage: boolean; model?: string }) {
    this.includeUsage = opts.includeUsage
    if (opts.model) this.model = opts.model
  }

  push(ev: { event: string | undefined; data: string }): ChatChunk[] {
    let d: StreamEventData
    try {
      d = JSON.parse(ev.data) as StreamEventData
    } catch {
      throw new UpstreamError(502, 'anthropic sent a stream event that is not JSON', 'protocol')
    }
    if (typeof d !== 'object' || d === null) throw new UpstreamError(502, 'anthropic sent a stream event that is not an object', 'protocol')
    const type = typeof d.type === 'string' ? d.type : ev.event
    switch (type) {
      case 'message_start': {
        const m = d.message ?? {}
        if (typeof m.id === 'string') this.id = 'chatcmpl-' + m.id
        if (typeof m.model === 'string') this.model = m.model
        this.usage = { ...m.usage }
        return [this.chunk({ role: 'assistant', content: '' })]
      }
      case 'content_block_start': {
        const b = d.content_block ?? {}
        if (b.type === 'text' && typeof b.text === 'string' && b.text !== '') return [this.chunk({ content: b.text })]
        if (b.type === 'tool_use' && typeof b.id === 'string' && typeof b.name === 'string' && typeof d.index === 'number') {
          const index = this.toolIndex.size
          this.toolIndex.set(d.index, index)
          return [this.toolChunk({ index, id: b.id, type: 'function', function: { name: b.name, arguments: '' } })]
        }
        return []
      }
      case 'content_block_delta': {
        const delta = d.delta ?? {}
        if (delta.type === 'text_delta' && typeof delta.text === 'string' && delta.text !== '') return [this.chunk({ content: delta.text })]
        if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string' && delta.partial_json !== '') {
          const index = typeof d.index === 'number' ? this.toolIndex.get(d.index) : undefined
          if (index === undefined) throw new UpstreamError(502, 'anthropic sent tool input for a block that is not a tool_use', 'protocol')
          return [this.toolChunk({ index, function: { arguments: delta.partial_json } })]
        }
        return [] // thinking_delta, signature_delta, citations: no OpenAI equivalent
      }
      case 'message_delta': {
        // message_delta usage is cumulative; newer API versions repeat the input counts too
        this.usage = { ...this.usage, ...definedOnly(d.usage) }
        const reason = finishReason(typeof d.delta?.stop_reason === 'string' ? d.delta.stop_reason : null)
        return reason === null ? [] : [this.chunk({}, reason)]
      }
      case 'message_stop': {
        this.done = true
        if (!this.includeUsage) return []
        return [{ ...this.base(), choices: [], usage: toUsage(this.usage) }]
      }
      case 'error':
        throw streamError(d.error)
      default: // ping, content_block_stop, and event types added later
        return []
    }
  }

  private base(): { id: string; object: 'chat.completion.chunk'; created: number; model: string } {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model }
  }

  private chunk(delta: ChatChunk['choices'][number]['delta'], finish: string | null = null): ChatChunk {
    // With include_usage OpenAI sends `usage: null` on every chunk but the last.
    return {
      ...this.base(),
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      ...(this.includeUsage ? { usage: null } : {}),
    }
  }

  private toolChunk(call: ToolCallDelta): ChatChunk {
    return this.chunk({ tool_calls: [call] })
  }
}

function definedOnly(u: AnthropicUsage | undefined): AnthropicUsage {
  const out: AnthropicUsage = {}
  if (!u) return out
  for (const k of ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const) {
    const v = u[k]
    if (typeof v === 'number') out[k] = v
  }
  return out
}

/** An `error` event inside a 200 stream (e.g. Anthropic overloaded mid-answer). */
function streamError(e: StreamEventData['error']): UpstreamError {
  const kind = typeof e?.type === 'string' ? e.type : 'api_error'
  const message = typeof e?.message === 'string' ? e.message : 'anthropic reported an error mid-stream'
  // The upstream's own verdict, so 'http': the router may retry it if no byte reached the client yet.
  if (kind === 'overloaded_error') return new UpstreamError(503, message, 'http', { code: kind })
  if (kind === 'rate_limit_error') return new UpstreamError(429, message, 'http', { code: kind })
  return new UpstreamError(502, message, 'protocol', { code: kind })
}

// ---- legacy completions, served through chat ----

/** A `/v1/completions` request as a one-user-message chat request. */
export function completionToChatRequest(body: CompletionRequest): ChatRequest {
  const prompts = Array.isArray(body.prompt) ? body.prompt : [body.prompt]
  if (prompts.length !== 1 || typeof prompts[0] !== 'string') {
    throw badRequest('anthropic models take exactly one text prompt per completion request', 'prompt')
  }
  const chat: ChatRequest = { model: body.model, messages: [{ role: 'user', content: prompts[0] }] }
  // Only fields with the same meaning in chat; echo, suffix, best_of, logprobs have none here.
  for (const k of ['max_tokens', 'temperature', 'top_p', 'stop', 'n', 'user', 'stream', 'stream_options'] as const) {
    if (body[k] !== undefined) (chat as JsonObject)[k] = body[k]
  }
  return chat
}

export function chatToCompletion(c: ChatCompletion): Completion {
  return {
    id: c.id.replace(/^chatcmpl-/, 'cmpl-'),
    object: 'text_completion',
    created: c.created,
    model: c.model,
    choices: c.choices.map((ch) => ({ index: ch.index, text: ch.message.content ?? '', finish_reason: ch.finish_reason, logprobs: null })),
    ...(c.usage ? { usage: c.usage } : {}),
  }
}

/** A chat chunk as a streamed text_completion, or null for chunks with nothing to say (the role chunk). */
export function chatChunkToCompletion(c: ChatChunk): Completion | null {
  const choices = c.choices.map((ch) => ({
    index: ch.index,
    text: typeof ch.delta.content === 'string' ? ch.delta.content : '',
    finish_reason: ch.finish_reason,
    logprobs: null,
  }))
  if (choices.length > 0 && choices.every((ch) => ch.text === '' && ch.finish_reason === null)) return null
  return {
    id: c.id.replace(/^chatcmpl-/, 'cmpl-'),
    object: 'text_completion',
    created: c.created,
    model: c.model,
    choices,
    ...(c.usage !== undefined ? { usage: c.usage } : {}),
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}
