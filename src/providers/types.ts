// The OpenAI wire shapes Portcullis reads and writes, and the provider contract.
// Request bodies keep every field the client sent (index signature) so unknown
// fields reach OpenAI-compatible upstreams untouched.

import type { JsonObject } from '../json.ts'
import type { ProviderKind } from './registry.ts'

export interface ContentPart {
  type: string
  text?: string
  image_url?: { url: string; detail?: string }
  [key: string]: unknown
}

export interface ToolCall {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

export interface ChatMessage {
  role: string
  content?: string | ContentPart[] | null
  name?: string
  tool_calls?: ToolCall[]
  tool_call_id?: string
  [key: string]: unknown
}

export interface ToolDefinition {
  type: 'function'
  function: { name: string; description?: string; parameters?: JsonObject; [key: string]: unknown }
  [key: string]: unknown
}

export type ToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } }

export interface ChatRequest {
  model: string
  messages: ChatMessage[]
  stream?: boolean
  stream_options?: { include_usage?: boolean; [key: string]: unknown }
  max_tokens?: number
  max_completion_tokens?: number
  temperature?: number
  top_p?: number
  n?: number
  stop?: string | string[]
  tools?: ToolDefinition[]
  tool_choice?: ToolChoice
  user?: string
  [key: string]: unknown
}

export interface Usage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  [key: string]: unknown
}

export interface ChatChoice {
  index: number
  message: { role: 'assistant'; content: string | null; tool_calls?: ToolCall[]; [key: string]: unknown }
  finish_reason: string | null
  logprobs?: unknown
  [key: string]: unknown
}

export interface ChatCompletion {
  id: string
  object: 'chat.completion'
  created: number
  model: string
  choices: ChatChoice[]
  usage?: Usage
  [key: string]: unknown
}

export interface ToolCallDelta {
  index: number
  id?: string
  type?: 'function'
  function?: { name?: string; arguments?: string }
}

export interface ChunkChoice {
  index: number
  delta: { role?: 'assistant'; content?: string | null; tool_calls?: ToolCallDelta[]; [key: string]: unknown }
  finish_reason: string | null
  logprobs?: unknown
  [key: string]: unknown
}

export interface ChatChunk {
  id: string
  object: 'chat.completion.chunk'
  created: number
  model: string
  choices: ChunkChoice[]
  usage?: Usage | null
  [key: string]: unknown
}

export interface CompletionRequest {
  model: string
  prompt: string | string[]
  stream?: boolean
  stream_options?: { include_usage?: boolean; [key: string]: unknown }
  max_tokens?: number
  [key: string]: unknown
}

export interface CompletionChoice {
  index: number
  text: string
  finish_reason: string | null
  logprobs?: unknown
  [key: string]: unknown
}

export interface Completion {
  id: string
  object: 'text_completion'
  created: number
  model: string
  choices: CompletionChoice[]
  usage?: Usage | null
  [key: string]: unknown
}

export interface EmbeddingRequest {
  model: string
  input: string | string[] | number[] | number[][]
  encoding_format?: 'float' | 'base64'
  dimensions?: number
  [key: string]: unknown
}

export interface EmbeddingResponse {
  object: 'list'
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>
  model: string
  usage: { prompt_tokens: number; total_tokens: number }
  [key: string]: unknown
}

/** One configured model deployment (a `model_list` entry), validated and resolved. */
export interface Deployment {
  /** `model_info.id`, or `<model_name>#<index>` */
  id: string
  /** the name clients ask for */
  modelName: string
  /** which provider serves it, from the prefix of `litellm_params.model` */
  provider: ProviderKind
  /** the model name sent upstream (the part after the provider prefix) */
  model: string
  apiBase: string | undefined
  apiKey: string | undefined
  /** whole-call timeout for JSON answers; time to first byte and idle gap for streams */
  timeoutMs: number
  /** `stream_timeout` (else `timeout`): for streams, time to first byte and the longest gap between chunks */
  streamTimeoutMs: number
  weight: number
  inputCostPerToken: number
  outputCostPerToken: number
  /** extra headers sent upstream on every call */
  headers: Record<string, string>
  /** every `litellm_params` key, for provider-specific options */
  params: JsonObject
}

export interface CallOptions {
  /** aborted when the client goes away or the gateway gives up */
  signal: AbortSignal
}

/**
 * A provider turns OpenAI-shaped calls into upstream calls. Methods throw
 * UpstreamError (see errors.ts). Stream methods resolve once the upstream has
 * accepted the call (status 2xx), so the router may still retry before that.
 */
export interface Provider {
  chat(d: Deployment, body: ChatRequest, opts: CallOptions): Promise<ChatCompletion>
  chatStream(d: Deployment, body: ChatRequest, opts: CallOptions): Promise<AsyncIterable<ChatChunk>>
  completion(d: Deployment, body: CompletionRequest, opts: CallOptions): Promise<Completion>
  completionStream(d: Deployment, body: CompletionRequest, opts: CallOptions): Promise<AsyncIterable<Completion>>
  embeddings(d: Deployment, body: EmbeddingRequest, opts: CallOptions): Promise<EmbeddingResponse>
}
