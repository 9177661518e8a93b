// The request lifecycle, top to bottom, for every OpenAI endpoint:
//   validate → (guardrails: resolve, pre_call) → route to a deployment and call
//   it → (post_call) → answer. The HTTP layer only turns the result into bytes.
import { GatewayError, UpstreamError } from '../errors.ts'
import type { ProviderKind } from '../providers/registry.ts'
import type {
  ChatRequest,
  CompletionRequest,
  Deployment,
  EmbeddingRequest,
  JsonObject,
  Provider,
} from '../providers/types.ts'
import type { Router } from '../router/router.ts'
import type { Metrics } from '../telemetry/metrics.ts'
import { primeStream } from './prime-stream.ts'
import { validateChat, validateCompletion, validateEmbedding } from './validate.ts'

export interface CallContext {
  requestId: string
  /** aborted when the client disconnects */
  signal: AbortSignal
}

interface ResultBase {
  /** the model group the client asked for */
  model: string
  deployment: Deployment
  attempts: number
  headers: Record<string, string>
}

export type GatewayResult =
  | (ResultBase & { kind: 'json'; body: JsonObject })
  | (ResultBase & { kind: 'stream'; events: AsyncIterable<JsonObject> })

type Endpoint = 'chat' | 'completion' | 'embeddings'

/** Request fields that are the gateway's own and never reach an upstream. */
const GATEWAY_FIELDS = ['guardrails', 'disable_global_guardrails', 'opted_out_global_guardrails'] as const

export class Gateway {
  private readonly router: Router
  private readonly providers: Readonly<Record<ProviderKind, Provider>>
  private readonly metrics: Metrics

  constructor(deps: { router: Router; providers: Readonly<Record<ProviderKind, Provider>>; metrics: Metrics }) {
    this.router = deps.router
    this.providers = deps.providers
    this.metrics = deps.metrics
  }

  modelNames(): string[] {
    return this.router.modelNames()
  }

  /** The model label for metrics: only configured names, so clients cannot blow up cardinality. */
  modelLabel(model: unknown): string {
    return typeof model === 'string' && this.router.has(model) ? model : 'unknown'
  }

  chat(body: unknown, ctx: CallContext): Promise<GatewayResult> {
    const req = validateChat(body)
    return this.run('chat', req, ctx, (p, d, b, opts) => (req.stream ? p.chatStream(d, b as ChatRequest, opts) : p.chat(d, b as ChatRequest, opts)))
  }

  completion(body: unknown, ctx: CallContext): Promise<GatewayResult> {
    const req = validateCompletion(body)
    return this.run('completion', req, ctx, (p, d, b, opts) =>
      req.stream ? p.completionStream(d, b as CompletionRequest, opts) : p.completion(d, b as CompletionRequest, opts),
    )
  }

  embeddings(body: unknown, ctx: CallContext): Promise<GatewayResult> {
    const req = validateEmbedding(body)
    return this.run('embeddings', req, ctx, (p, d, b, opts) => p.embeddings(d, b as EmbeddingRequest, opts))
  }

  private async run(
    _endpoint: Endpoint,
    req: ChatRequest | CompletionRequest | EmbeddingRequest,
    ctx: CallContext,
    call: (p: Provider, d: Deployment, body: JsonObject, opts: { signal: AbortSignal }) => Promise<JsonObject | AsyncIterable<JsonObject>>,
  ): Promise<GatewayResult> {
    const upstreamBody = forUpstream(req)
    const stream = req.stream === true

    const routed = await this.router.route(req.model, ctx.signal, async (d) => {
      const provider = this.providers[d.provider as ProviderKind]
      if (!provider) throw new GatewayError(500, `no provider for ${d.provider}`)
      const started = performance.now()
      try {
        let out = await call(provider, d, upstreamBody, { signal: ctx.signal })
        if (stream) out = await primeStream(out as AsyncIterable<JsonObject>, d.apiKey ? [d.apiKey] : [])
        this.observeUpstream(req.model, d, 'ok', started)
        return out
      } catch (err) {
        this.observeUpstream(req.model, d, err instanceof UpstreamError ? upstreamOutcome(err) : 'error', started)
        throw err
      }
    })

    const base = {
      model: req.model,
      deployment: routed.deployment,
      attempts: routed.attempts,
      headers: {
        'x-portcullis-deployment': routed.deployment.id,
        'x-portcullis-model-group': routed.deployment.modelName,
        'x-portcullis-attempts': String(routed.attempts),
      },
    }
    if (!stream) {
      routed.release()
      return { ...base, kind: 'json', body: routed.result as JsonObject }
    }
    const events = routed.result as AsyncIterable<JsonObject>
    return {
      ...base,
      kind: 'stream',
      events: (async function* () {
        try {
          yield* events
        } finally {
          routed.release()
        }
      })(),
    }
  }

  private observeUpstream(model: string, d: Deployment, outcome: string, started: number): void {
    this.metrics.upstreamLatency.observe({ model, deployment: d.id, outcome }, (performance.now() - started) / 1000)
  }
}

function upstreamOutcome(err: UpstreamError): string {
  return err.failure === 'http' ? String(err.status) : err.failure
}

/** The body the upstream gets: the client's, minus the gateway's own fields. */
function forUpstream(req: JsonObject): JsonObject {
  let out: JsonObject | undefined
  for (const f of GATEWAY_FIELDS) {
    if (f in req) {
      out ??= { ...req }
      delete out[f]
    }
  }
  // `metadata` is LiteLLM's per-request gateway metadata; OpenAI accepts it only with `store`.
  if ('metadata' in req && req.store !== true) {
    out ??= { ...req }
    delete out.metadata
  }
  return out ?? req
}
