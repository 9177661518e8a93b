// The request lifecycle, top to bottom, for every OpenAI endpoint:
//   1. validate and resolve the guardrails that apply
//   2. pre_call guardrails (rewrite or block before the model is called)
//   3. route to a deployment and call it, with during_call guardrails beside it
//   4. post_call guardrails on the answer (streams: incrementally)
//   5. logging_only guardrails after the answer, off the hot path
// The HTTP layer only turns the result into bytes.
import { GatewayError, UpstreamError } from '../errors.ts'
import type { CallGuards, GuardrailPipeline } from '../guardrails/pipeline.ts'
import { refusalAnswer, refusalStream, refuseAnswer } from '../guardrails/refusal.ts'
import type { CallType } from '../guardrails/texts.ts'
import type { Decision, GuardText } from '../guardrails/types.ts'
import type { ProviderKind } from '../providers/registry.ts'
import type { ChatRequest, CompletionRequest, Deployment, EmbeddingRequest, Provider } from '../providers/types.ts'
import { isObject, type JsonObject } from '../json.ts'
import type { Router } from '../router/router.ts'
import type { Metrics } from '../telemetry/metrics.ts'
import { countTokens } from '../providers/tokens.ts'
import { primeStream } from './prime-stream.ts'
import { validateChat, validateCompletion, validateEmbedding } from './validate.ts'

/** Filled in by the gateway as the call runs; the HTTP layer reads it for headers and logs. */
export interface CallTrace {
  guardrails: string[]
  decisions: Decision[]
  /** tokens of the call: the upstream's usage, or counted when a stream reports none */
  usage: { prompt: number; completion: number } | undefined
  /** usage × the deployment's per-token costs */
  spend: number
  /** what the client got (JSON body, or the streamed texts), kept only if store_prompts is on */
  answer: unknown
}

export interface CallContext {
  requestId: string
  /** aborted when the client disconnects */
  signal: AbortSignal
  trace: CallTrace
  /** guardrail names bound to the caller's key */
  boundGuardrails?: readonly string[]
  /** server-trusted caller data (key metadata) */
  caller?: Readonly<Record<string, unknown>>
}

interface ResultBase {
  /** the model group the client asked for */
  model: string
  /** undefined when a guardrail answered without calling a model */
  deployment: Deployment | undefined
  attempts: number
  headers: Record<string, string>
}

export type GatewayResult =
  | (ResultBase & { kind: 'json'; body: JsonObject })
  | (ResultBase & { kind: 'stream'; events: AsyncIterable<JsonObject> })

type Upstream = (p: Provider, d: Deployment, body: JsonObject, opts: { signal: AbortSignal }) => Promise<JsonObject | AsyncIterable<JsonObject>>

/** Request fields that are the gateway's own and never reach an upstream. */
const GATEWAY_FIELDS = ['guardrails', 'disable_global_guardrails', 'opted_out_global_guardrails', 'hlido_slugs'] as const

export class Gateway {
  private readonly router: Router
  private readonly providers: Readonly<Record<ProviderKind, Provider>>
  private readonly metrics: Metrics
  private readonly guardrails: GuardrailPipeline

  constructor(deps: { router: Router; providers: Readonly<Record<ProviderKind, Provider>>; metrics: Metrics; guardrails: GuardrailPipeline }) {
    this.router = deps.router
    this.providers = deps.providers
    this.metrics = deps.metrics
    this.guardrails = deps.guardrails
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

  private async run(callType: CallType, req: ChatRequest | CompletionRequest | EmbeddingRequest, ctx: CallContext, upstream: Upstream): Promise<GatewayResult> {
    const stream = req.stream === true
    if (!this.router.has(req.model)) throw modelNotFound(req.model)

    // 1. which guardrails run (a refused opt-out is a 400/403 here)
    const guards = this.guardrails.forCall({
      callType,
      body: req,
      requestId: ctx.requestId,
      signal: ctx.signal,
      bound: ctx.boundGuardrails ?? [],
      caller: ctx.caller ?? {},
      decisions: ctx.trace.decisions,
    })
    ctx.trace.guardrails = guards.names

    // 2. pre_call: may rewrite the request in place, refuse, or throw a block
    const preRefusal = await guards.preCall()
    if (preRefusal) return this.refusal(callType, req, preRefusal.text, stream)

    // 3. the upstream call, with during_call guardrails beside it
    const upstreamAc = new AbortController()
    const onClientAbort = (): void => upstreamAc.abort()
    ctx.signal.addEventListener('abort', onClientAbort, { once: true })
    const during = guards.duringCall(() => upstreamAc.abort())
    const routing = this.route(req, upstreamAc.signal, stream, upstream)
    let routed: Awaited<typeof routing>
    try {
      if (during) {
        const [r, blocked] = await Promise.allSettled([routing, during])
        // a during_call verdict outranks whatever the (possibly aborted) upstream did
        if (blocked.status === 'rejected' || blocked.value) {
          if (r.status === 'fulfilled') await discard(r.value)
          if (blocked.status === 'rejected') throw blocked.reason
          const refusal = guards.refuseOrThrow(blocked.value as NonNullable<typeof blocked.value>)
          return this.refusal(callType, req, refusal.text, stream)
        }
        if (r.status === 'rejected') throw r.reason
        routed = r.value
      } else {
        routed = await routing
      }
    } finally {
      ctx.signal.removeEventListener('abort', onClientAbort)
    }

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

    // 4. post_call on a JSON answer, then 5. logging_only
    if (!stream) {
      routed.release()
      let body = routed.result as JsonObject
      account(ctx.trace, routed.deployment, body.usage)
      const refusal = await guards.postCall(body)
      if (refusal) body = refuseAnswer(callType, body, refusal.text)
      if (guards.hasLoggingOnly) guards.logAfter(guards.responseTexts(body))
      ctx.trace.answer = body
      return { ...base, kind: 'json', body }
    }
    // 4. post_call on a stream, then 5. logging_only once it is delivered
    const events = guards.guardStream(routed.result as AsyncIterable<JsonObject>)
    const clientWantsUsage = (req.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true
    const requestTexts = (): string[] => guards.requestTexts().map((t) => t.text)
    return { ...base, kind: 'stream', events: delivered(events, guards, routed.release, { trace: ctx.trace, deployment: routed.deployment, clientWantsUsage, requestTexts }) }
  }

  private async route(req: JsonObject & { model: string }, signal: AbortSignal, stream: boolean, upstream: Upstream) {
    let upstreamBody = forUpstream(req)
    // spend needs the tokens of every stream: ask for usage; `delivered` hides it from clients that did not
    if (stream) upstreamBody = { ...upstreamBody, stream_options: { ...(upstreamBody.stream_options as JsonObject | undefined), include_usage: true } }
    return this.router.route(req.model, signal, async (d) => {
      const provider = this.providers[d.provider as ProviderKind]
      if (!provider) throw new GatewayError(500, `no provider for ${d.provider}`)
      const started = performance.now()
      try {
        let out = await upstream(provider, d, upstreamBody, { signal })
        if (stream) out = await primeStream(out as AsyncIterable<JsonObject>, d.apiKey ? [d.apiKey] : [])
        this.observeUpstream(req.model, d, 'ok', started)
        return out
      } catch (err) {
        this.observeUpstream(req.model, d, err instanceof UpstreamError ? upstreamOutcome(err) : 'error', started)
        throw err
      }
    })
  }

  private refusal(callType: CallType, req: ChatRequest | CompletionRequest | EmbeddingRequest, text: string, stream: boolean): GatewayResult {
    if (callType === 'embeddings') {
      throw new GatewayError(400, `blocked by a guardrail: ${text}`, { code: 'guardrail_blocked' })
    }
    const base = { model: req.model, deployment: undefined, attempts: 0, headers: {} }
    if (stream) return { ...base, kind: 'stream', events: refusalStream(callType, req.model, text, (req.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true) }
    return { ...base, kind: 'json', body: refusalAnswer(callType, req.model, text) }
  }

  private observeUpstream(model: string, d: Deployment, outcome: string, started: number): void {
    this.metrics.upstreamLatency.observe({ model, deployment: d.id, outcome }, (performance.now() - started) / 1000)
  }
}

interface Accounting {
  trace: CallTrace
  deployment: Deployment
  clientWantsUsage: boolean
  requestTexts: () => string[]
}

/**
 * Passes a stream through. It takes the upstream's usage chunk for the call's
 * accounting (forwarding it only to clients that asked), counts tokens itself
 * when there was none, and at the end frees the deployment slot and queues
 * logging_only checks of what was delivered.
 */
async function* delivered(events: AsyncIterable<JsonObject>, guards: CallGuards, release: () => void, acct: Accounting): AsyncGenerator<JsonObject> {
  const texts = new Map<number, string>()
  let complete = false
  try {
    for await (const ev of events) {
      if (ev.usage && Array.isArray(ev.choices) && ev.choices.length === 0) {
        account(acct.trace, acct.deployment, ev.usage)
        if (acct.clientWantsUsage) yield ev
        continue
      }
      for (const c of (Array.isArray(ev.choices) ? ev.choices : []) as JsonObject[]) {
        const delta = c.delta as JsonObject | undefined
        const piece = typeof delta?.content === 'string' ? delta.content : typeof c.text === 'string' ? c.text : ''
        if (piece) texts.set(Number(c.index ?? 0), (texts.get(Number(c.index ?? 0)) ?? '') + piece)
      }
      yield ev
    }
    complete = true
    acct.trace.answer = [...texts.values()]
    if (!acct.trace.usage) {
      const [prompt, completion] = await Promise.all([countTokens(acct.requestTexts()), countTokens([...texts.values()])])
      account(acct.trace, acct.deployment, { prompt_tokens: prompt, completion_tokens: completion })
    }
  } finally {
    release()
    if (guards.hasLoggingOnly && complete) {
      const list: GuardText[] = [...texts.values()].map((text, index) => ({ index, text, source: 'completion' }))
      guards.logAfter(list)
    }
  }
}

/** Records a call's tokens and what they cost at the deployment's prices. */
function account(trace: CallTrace, d: Deployment, usage: unknown): void {
  if (typeof usage !== 'object' || usage === null) return
  const u = usage as { prompt_tokens?: unknown; completion_tokens?: unknown }
  const prompt = typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0
  const completion = typeof u.completion_tokens === 'number' ? u.completion_tokens : 0
  trace.usage = { prompt, completion }
  trace.spend = prompt * d.inputCostPerToken + completion * d.outputCostPerToken
}

/** An upstream answer nobody will read: close its stream so the socket is freed. */
async function discard(routed: { result: unknown; release: () => void }): Promise<void> {
  routed.release()
  const r = routed.result as Partial<AsyncIterable<unknown>> | undefined
  const iterate = r?.[Symbol.asyncIterator]
  if (typeof iterate === 'function') await iterate.call(r).return?.()
}

function modelNotFound(model: string): GatewayError {
  return new GatewayError(404, `model "${model}" is not served by this gateway; GET /v1/models lists the models`, {
    type: 'invalid_request_error',
    code: 'model_not_found',
    param: 'model',
  })
}

function upstreamOutcome(err: UpstreamError): string {
  return err.failure === 'http' ? String(err.status) : err.failure
}

/** The body the upstream gets: the client's (after pre_call rewrites), minus the gateway's own fields. */
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
  } else if (isObject(req.metadata) && GATEWAY_FIELDS.some((f) => f in (req.metadata as JsonObject))) {
    // Forwarded with `store`, it must not carry the gateway's own fields: they are
    // not the upstream's business, and OpenAI rejects metadata values that are not
    // strings (`metadata.guardrails: [..]` made the whole call a 400).
    const metadata = { ...req.metadata }
    for (const f of GATEWAY_FIELDS) delete metadata[f]
    out = { ...(out ?? req), metadata }
  }
  return out ?? req
}
