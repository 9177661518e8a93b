// OpenAI-compatible upstreams: OpenAI itself, vLLM, Ollama, OpenRouter, Groq and
// any gateway speaking the same API (`openai/…`), plus Azure OpenAI deployment
// URLs (`azure/…`). Bodies go through untouched except for the model name.
import { UpstreamError } from '../errors.ts'
import type {
  CallOptions,
  ChatChunk,
  ChatCompletion,
  ChatRequest,
  Completion,
  CompletionRequest,
  Deployment,
  EmbeddingRequest,
  EmbeddingResponse,
  Provider,
} from './types.ts'
import type { JsonObject } from '../json.ts'
import type { UpstreamClient } from './upstream-client.ts'

export const OPENAI_DEFAULT_BASE = 'https://api.openai.com/v1'

type Endpoint = 'chat/completions' | 'completions' | 'embeddings'

export function createOpenAIProvider(client: UpstreamClient, flavour: 'openai' | 'azure' = 'openai'): Provider {
  const url = (d: Deployment, endpoint: Endpoint): string => {
    const base = (d.apiBase ?? OPENAI_DEFAULT_BASE).replace(/\/+$/, '')
    if (flavour === 'azure') {
      const version = typeof d.params.api_version === 'string' ? d.params.api_version : '2024-10-21'
      return `${base}/openai/deployments/${encodeURIComponent(d.model)}/${endpoint}?api-version=${encodeURIComponent(version)}`
    }
    return `${base}/${endpoint}`
  }
  const headers = (d: Deployment, stream: boolean): Record<string, string> => {
    const h: Record<string, string> = { 'content-type': 'application/json', ...d.headers }
    if (stream) h.accept = 'text/event-stream'
    if (d.apiKey) {
      if (flavour === 'azure') h['api-key'] = d.apiKey
      else h.authorization = `Bearer ${d.apiKey}`
    }
    if (typeof d.params.organization === 'string') h['openai-organization'] = d.params.organization
    return h
  }
  const call = (d: Deployment, endpoint: Endpoint, body: JsonObject, opts: CallOptions, stream: boolean) => ({
    url: url(d, endpoint),
    headers: headers(d, stream),
    body: JSON.stringify({ ...body, model: d.model }),
    signal: opts.signal,
    timeoutMs: stream ? d.streamTimeoutMs : d.timeoutMs,
    secrets: d.apiKey ? [d.apiKey] : [],
  })

  async function json<T extends JsonObject>(d: Deployment, endpoint: Endpoint, body: JsonObject, opts: CallOptions, check: (v: T) => boolean): Promise<T> {
    const answer = await client.postJson<T>(call(d, endpoint, body, opts, false))
    if (typeof answer !== 'object' || answer === null || !check(answer)) {
      throw new UpstreamError(502, `upstream answered ${endpoint} with an unexpected JSON shape`, 'protocol')
    }
    return answer
  }

  async function stream<T>(d: Deployment, endpoint: Endpoint, body: JsonObject, opts: CallOptions): Promise<AsyncIterable<T>> {
    const events = await client.postSse(call(d, endpoint, body, opts, true))
    return (async function* () {
      let done = false
      for await (const ev of events) {
        // Read on to the end of the body (the upstream ends it right after
        // [DONE]): a body left unread is destroyed, and undici then aborts the
        // request and closes its keep-alive connection, one per stream.
        if (done) continue
        if (ev.data === '[DONE]') {
          done = true
          continue
        }
        let parsed: unknown
        try {
          parsed = JSON.parse(ev.data)
        } catch {
          throw new UpstreamError(502, 'upstream sent a stream event that is not JSON', 'protocol')
        }
        if (typeof parsed !== 'object' || parsed === null) {
          throw new UpstreamError(502, 'upstream sent a stream event that is not an object', 'protocol')
        }
        const err = (parsed as { error?: { message?: unknown } }).error
        if (err) {
          const message = typeof err.message === 'string' ? err.message : 'upstream reported an error mid-stream'
          throw new UpstreamError(502, message, 'protocol')
        }
        yield parsed as T
      }
    })()
  }

  return {
    chat: (d, body, opts) =>
      json<ChatCompletion>(d, 'chat/completions', body, opts, (v) => Array.isArray(v.choices)),
    chatStream: (d, body: ChatRequest, opts) => stream<ChatChunk>(d, 'chat/completions', body, opts),
    completion: (d, body: CompletionRequest, opts) =>
      json<Completion>(d, 'completions', body, opts, (v) => Array.isArray(v.choices)),
    completionStream: (d, body, opts) => stream<Completion>(d, 'completions', body, opts),
    embeddings: (d, body: EmbeddingRequest, opts) =>
      json<EmbeddingResponse>(d, 'embeddings', body, opts, (v) => Array.isArray(v.data)),
  }
}
