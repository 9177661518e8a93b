// The request lifecycle, top to bottom, for every inbound protocol:
//   1. validate, and resolve the guardrails that apply
//   2. pre_call guardrails (rewrite or block before the model is called)
//   3. route to a deployment and call it, with during_call guardrails beside it
//   4. post_call guardrails on the answer (streams: incrementally)
//   5. logging_only guardrails after the answer, off the hot path
// The protocol adapter (src/protocols/) knows the wire format; a block's
// outcome is decided by blockOutcome; the HTTP layer turns the result into bytes.
import { modelNotFound, UpstreamError } from '../errors.ts'
import type { BlockInfo } from '../guardrails/engine.ts'
import { blockOutcome } from '../guardrails/outcome.ts'
import type { CallGuards, GuardrailPipeline } from '../guardrails/pipeline.ts'
import type { JsonObject } from '../json.ts'
import type { InboundProtocol, ModelRequest, StreamFormat } from '../protocols/protocol.ts'
import type { ProviderKind } from '../providers/registry.ts'
import type { Deployment, Provider } from '../providers/types.ts'
import type { RouteResult, Router } from '../router/router.ts'
import type { Metrics } from '../telemetry/metrics.ts'
import { account, delivered } from './delivered.ts'
import { primeStream } from './prime-stream.ts'
import type { CallTrace } from './trace.ts'
import { withoutFields } from './upstream-body.ts'

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

export type GatewayResult<Answer, Event> = (ResultBase & { kind: 'json'; body: Answer }) | (ResultBase & { kind: 'stream'; events: AsyncIterable<Event> })

/** One call, as the steps below pass it on. */
interface Call<Req extends ModelRequest, Answer extends JsonObject, Event extends JsonObject> {
  protocol: InboundProtocol<Req, Answer, Event>
  req: Req
  guards: CallGuards<Req, Answer>
  ctx: CallContext
}

/** An upstream attempt on deployment `d` of provider `p`. */
type Attempt<T> = (p: Provider, d: Deployment, signal: AbortSignal) => Promise<T>

export interface GatewayDeps {
  router: Router
  providers: Readonly<Record<ProviderKind, Provider>>
  metrics: Metrics
  guardrails: GuardrailPipeline
}

export class Gateway {
  private readonly router: Router
  private readonly providers: Readonly<Record<ProviderKind, Provider>>
  private readonly metrics: Metrics
  private readonly guardrails: GuardrailPipeline

  constructor(deps: GatewayDeps) {
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

  async call<Req extends ModelRequest, Answer extends JsonObject, Event extends JsonObject>(
    protocol: InboundProtocol<Req, Answer, Event>,
    body: unknown,
    ctx: CallContext,
  ): Promise<GatewayResult<Answer, Event>> {
    // 1. the request, and which guardrails run (a refused opt-out is a 400/403 here)
    const req = protocol.validate(body)
    if (!this.router.has(req.model)) throw modelNotFound(req.model)
    const guards = this.guardrails.forCall({
      callType: protocol.callType,
      body: req,
      texts: protocol.texts,
      requestId: ctx.requestId,
      signal: ctx.signal,
      bound: ctx.boundGuardrails ?? [],
      caller: ctx.caller ?? {},
      decisions: ctx.trace.decisions,
    })
    ctx.trace.guardrails = guards.names
    const call = { protocol, req, guards, ctx }
    const stream = protocol.stream?.requested(req) ? protocol.stream : undefined
    return stream ? this.streamed(call, stream) : this.answered(call)
  }

  /** A JSON answer: steps 2 to 5. */
  private async answered<Req extends ModelRequest, Answer extends JsonObject, Event extends JsonObject>(
    call: Call<Req, Answer, Event>,
  ): Promise<GatewayResult<Answer, Event>> {
    const { protocol, req, guards, ctx } = call
    // 2. pre_call: may rewrite the request in place, or block
    const pre = await guards.preCall()
    if (pre) return this.blocked(call, pre, undefined)
    // 3. the upstream call, with during_call guardrails beside it
    const body = this.forUpstream(req)
    const routed = await this.upstream(call, (p, d, signal) => protocol.call(p, d, body, { signal }), async () => {})
    if ('block' in routed) return this.blocked(call, routed.block, undefined)
    routed.release()
    // 4. post_call on the answer, then 5. logging_only
    let answer = routed.result
    account(ctx.trace, routed.deployment, protocol.usage(answer))
    const post = await guards.postCall(answer)
    if (post) {
      const outcome = blockOutcome(post, protocol.answers.refusal)
      if ('error' in outcome) throw outcome.error
      answer = outcome.with.replace(answer, outcome.refusal)
    }
    if (guards.hasLoggingOnly) guards.logAfter(guards.answerTexts(answer))
    ctx.trace.answer = answer
    return { ...answeredBy(req, routed), kind: 'json', body: answer }
  }

  /** A stream: steps 2 to 5, post_call and logging_only as it is delivered. */
  private async streamed<Req extends ModelRequest, Answer extends JsonObject, Event extends JsonObject>(
    call: Call<Req, Answer, Event>,
    format: StreamFormat<Req, Event>,
  ): Promise<GatewayResult<Answer, Event>> {
    const { req, guards, ctx } = call
    const pre = await guards.preCall()
    if (pre) return this.blocked(call, pre, format)
    const body = format.upstreamRequest(this.forUpstream(req))
    const routed = await this.upstream(
      call,
      async (p, d, signal) => primeStream(await format.call(p, d, body, { signal }), (ev) => format.carries(ev), d.apiKey ? [d.apiKey] : []),
      closeStream,
    )
    if ('block' in routed) return this.blocked(call, routed.block, format)
    const events = delivered(guards.guardStream(routed.result, format), {
      format,
      guards,
      trace: ctx.trace,
      deployment: routed.deployment,
      release: routed.release,
      clientWantsUsage: format.wantsUsage(req),
    })
    return { ...answeredBy(req, routed), kind: 'stream', events }
  }

  /**
   * Routes the call to a deployment, with during_call guardrails beside the
   * upstream call: a block there aborts it and outranks whatever it did (an
   * answer already in is `discard`ed).
   */
  private async upstream<Req extends ModelRequest, Answer extends JsonObject, Event extends JsonObject, T>(
    call: Call<Req, Answer, Event>,
    attempt: Attempt<T>,
    discard: (result: T) => Promise<void>,
  ): Promise<RouteResult<T> | { block: BlockInfo }> {
    const { req, guards, ctx } = call
    const upstreamAc = new AbortController()
    const onClientAbort = (): void => upstreamAc.abort()
    ctx.signal.addEventListener('abort', onClientAbort, { once: true })
    try {
      const during = guards.duringCall(() => upstreamAc.abort())
      const routing = this.route(req.model, upstreamAc.signal, attempt)
      if (!during) return await routing
      const [routed, blocked] = await Promise.allSettled([routing, during])
      if (blocked.status === 'rejected' || blocked.value) {
        if (routed.status === 'fulfilled') {
          routed.value.release()
          await discard(routed.value.result)
        }
        if (blocked.status === 'rejected') throw blocked.reason
        if (blocked.value) return { block: blocked.value }
      }
      if (routed.status === 'rejected') throw routed.reason
      return routed.value
    } finally {
      ctx.signal.removeEventListener('abort', onClientAbort)
    }
  }

  private route<T>(model: string, signal: AbortSignal, attempt: Attempt<T>): Promise<RouteResult<T>> {
    return this.router.route(model, signal, async (d) => {
      const provider = this.providers[d.provider]
      const started = performance.now()
      try {
        const out = await attempt(provider, d, signal)
        this.observeUpstream(model, d, 'ok', started)
        return out
      } catch (err) {
        this.observeUpstream(model, d, err instanceof UpstreamError ? upstreamOutcome(err) : 'error', started)
        throw err
      }
    })
  }

  /** A block before any answer was taken: the protocol's refusal, or the error (blockOutcome decides). */
  private blocked<Req extends ModelRequest, Answer extends JsonObject, Event extends JsonObject>(
    call: Call<Req, Answer, Event>,
    block: BlockInfo,
    stream: StreamFormat<Req, Event> | undefined,
  ): GatewayResult<Answer, Event> {
    const outcome = blockOutcome(block, call.protocol.answers.refusal)
    if ('error' in outcome) throw outcome.error
    const base = { model: call.req.model, deployment: undefined, attempts: 0, headers: {} }
    if (stream) return { ...base, kind: 'stream', events: outcome.with.stream(call.req, outcome.refusal) }
    return { ...base, kind: 'json', body: outcome.with.answer(call.req, outcome.refusal) }
  }

  /** The body the upstream gets: the client's (after pre_call rewrites), minus the gateway's and its guardrails' own fields. */
  private forUpstream<Req extends ModelRequest>(req: Req): Req {
    return withoutFields(req, this.guardrails.requestFields)
  }

  private observeUpstream(model: string, d: Deployment, outcome: string, started: number): void {
    this.metrics.upstreamLatency.observe({ model, deployment: d.id, outcome }, (performance.now() - started) / 1000)
  }
}

/** What the result says about who answered. */
function answeredBy(req: ModelRequest, routed: RouteResult<unknown>): ResultBase {
  return {
    model: req.model,
    deployment: routed.deployment,
    attempts: routed.attempts,
    headers: {
      'x-portcullis-deployment': routed.deployment.id,
      'x-portcullis-model-group': routed.deployment.modelName,
      'x-portcullis-attempts': String(routed.attempts),
    },
  }
}

/** An upstream stream nobody will read: closed, so its socket is freed. */
async function closeStream(events: AsyncIterable<unknown>): Promise<void> {
  await events[Symbol.asyncIterator]().return?.()
}

function upstreamOutcome(err: UpstreamError): string {
  return err.failure === 'http' ? String(err.status) : err.failure
}
