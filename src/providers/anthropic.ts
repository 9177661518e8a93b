// Anthropic's Messages API (`anthropic/…`). Requests and answers are translated
// to and from the OpenAI shapes by anthropic-translate.ts; legacy completions
// are served through chat, since Anthropic has no text-completion endpoint.
import { GatewayError, UpstreamError } from '../errors.ts'
import {
  AnthropicStreamTranslator,
  chatChunkToCompletion,
  chatToCompletion,
  completionToChatRequest,
  fromAnthropicResponse,
  toAnthropicRequest,
  type AnthropicResponse,
} from './anthropic-translate.ts'
import type { CallOptions, ChatChunk, ChatCompletion, ChatRequest, Completion, Deployment, Provider } from './types.ts'
import type { UpstreamCall, UpstreamClient } from './upstream-client.ts'

export const ANTHROPIC_DEFAULT_BASE = 'https://api.anthropic.com'
export const ANTHROPIC_DEFAULT_VERSION = '2023-06-01'

/** `{base}/v1/messages`, accepting an api_base given with or without `/v1`. */
export function anthropicMessagesUrl(apiBase: string | undefined): string {
  const base = (apiBase ?? ANTHROPIC_DEFAULT_BASE).replace(/\/+$/, '')
  return (/\/v1$/.test(base) ? base : base + '/v1') + '/messages'
}

export function createAnthropicProvider(client: UpstreamClient): Provider {
  const call = (d: Deployment, body: ChatRequest, opts: CallOptions, stream: boolean): UpstreamCall => {
    const version = typeof d.params.anthropic_version === 'string' ? d.params.anthropic_version : ANTHROPIC_DEFAULT_VERSION
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'anthropic-version': version,
      ...d.headers, // e.g. anthropic-beta
    }
    if (stream) headers.accept = 'text/event-stream'
    if (d.apiKey) headers['x-api-key'] = d.apiKey
    return {
      url: anthropicMessagesUrl(d.apiBase),
      headers,
      // translated before any I/O, so a bad request fails without an upstream call
      body: JSON.stringify(toAnthropicRequest({ ...body, stream }, d.model)),
      signal: opts.signal,
      timeoutMs: stream ? d.streamTimeoutMs : d.timeoutMs,
      secrets: d.apiKey ? [d.apiKey] : [],
    }
  }

  async function chat(d: Deployment, body: ChatRequest, opts: CallOptions): Promise<ChatCompletion> {
    const answer = await withAnthropicErrors(() => client.postJson<unknown>(call(d, body, opts, false)))
    if (!isMessage(answer)) {
      throw new UpstreamError(502, 'anthropic answered with an unexpected JSON shape (no content array)', 'protocol')
    }
    return fromAnthropicResponse(answer)
  }

  async function chatStream(d: Deployment, body: ChatRequest, opts: CallOptions): Promise<AsyncIterable<ChatChunk>> {
    const events = await withAnthropicErrors(() => client.postSse(call(d, body, opts, true)))
    const translator = new AnthropicStreamTranslator({
      includeUsage: body.stream_options?.include_usage === true,
      model: d.model,
    })
    return (async function* () {
      for await (const ev of events) {
        yield* translator.push(ev)
        if (translator.done) return // returning early also releases the socket
      }
      // A stream without message_stop was cut off; say so rather than end quietly.
      throw new UpstreamError(502, 'anthropic stream ended before message_stop', 'protocol')
    })()
  }

  return {
    chat,
    chatStream,
    completion: async (d, body, opts) => chatToCompletion(await chat(d, completionToChatRequest(body), opts)),
    completionStream: async (d, body, opts) => {
      const chunks = await chatStream(d, completionToChatRequest(body), opts)
      return (async function* (): AsyncGenerator<Completion> {
        for await (const chunk of chunks) {
          const c = chatChunkToCompletion(chunk)
          if (c) yield c
        }
      })()
    },
    embeddings: async () => {
      throw new GatewayError(400, 'anthropic models do not offer embeddings', { code: 'unsupported_endpoint' })
    },
  }
}

function isMessage(v: unknown): v is AnthropicResponse {
  return typeof v === 'object' && v !== null && Array.isArray((v as { content?: unknown }).content)
}

/**
 * Anthropic answers "overloaded" with its own status 529 and error type
 * `overloaded_error`; clients and the router understand 503 service_unavailable.
 */
async function withAnthropicErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof UpstreamError && err.failure === 'http' && (err.status === 529 || err.type === 'overloaded_error')) {
      throw new UpstreamError(503, err.message, 'http', {
        type: 'service_unavailable',
        code: 'overloaded_error',
        ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
      })
    }
    throw err
  }
}
