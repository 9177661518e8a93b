// The guardrail side of one call, in the order the gateway runs it: resolve
// which guardrails apply, pre_call (rewrite or block before the model),
// during_call (beside the upstream call), post_call (JSON answers and
// streams), logging_only (after the answer, through the bounded queue). A
// block is returned (or, on streams, handled by blockOutcome), never answered
// here: what the client gets is the gateway's and the protocol's business.
import { GatewayError } from '../errors.ts'
import { isObject, type JsonObject } from '../json.ts'
import { check, runChain, type BlockInfo, type CallInfo, type DecisionSink } from './engine.ts'
import { GuardrailBlocked } from './errors.ts'
import type { StreamEvents, TextCodec } from './formats.ts'
import type { BoundedQueue } from './logging-queue.ts'
import { POLICY_FIELDS, type GuardrailPolicy } from './policy.ts'
import type { GuardrailSpec } from './spec.ts'
import { guardStream } from './stream.ts'
import type { CallType, Decision, GuardrailMode, GuardText } from './types.ts'

export interface PipelineOptions {
  policy: GuardrailPolicy
  queue: BoundedQueue
  /** characters held back per choice on streams */
  streamWindow: number
  /** receives every decision (metrics, logs) */
  observe: (d: Decision) => void
  /** request fields the guardrail types read (e.g. hlido's `hlido_slugs`): never sent upstream */
  typeFields: readonly string[]
}

export interface CallGuardInput<Req extends JsonObject, Answer> {
  callType: CallType
  body: Req
  /** the texts of the call's protocol */
  texts: TextCodec<Req, Answer>
  requestId: string
  signal: AbortSignal
  /** guardrail names bound to the caller's key */
  bound: readonly string[]
  /** server-trusted caller data (key metadata) */
  caller: Readonly<Record<string, unknown>>
  /** collects this call's decisions */
  decisions: Decision[]
}

/** A configured guardrail as /guardrails/list shows it: its type, modes and policy, never its own params (they may hold secrets). */
export interface GuardrailListing {
  guardrail_name: string
  litellm_params: { guardrail: string; mode: GuardrailMode[]; default_on: boolean; on_error: string; on_block: string }
}

export class GuardrailPipeline {
  /** request fields that are the gateway's and its guardrails' own: never sent upstream (top level or in `metadata`) */
  readonly requestFields: readonly string[]
  private readonly opts: PipelineOptions

  constructor(opts: PipelineOptions) {
    this.opts = opts
    this.requestFields = [...POLICY_FIELDS, ...opts.typeFields]
  }

  /** Throws 400/403 for guardrail requests the policy refuses. */
  forCall<Req extends JsonObject, Answer>(input: CallGuardInput<Req, Answer>): CallGuards<Req, Answer> {
    return new CallGuards(this.opts, input, this.opts.policy.resolve(input.body, input.bound))
  }

  has(name: string): boolean {
    return this.opts.policy.get(name) !== undefined
  }

  list(): GuardrailListing[] {
    return this.opts.policy.all.map((s) => ({
      guardrail_name: s.name,
      litellm_params: { guardrail: s.type, mode: [...s.modes], default_on: s.defaultOn, on_error: s.onError, on_block: s.onBlock },
    }))
  }

  /**
   * Runs one guardrail by hand on a text (LiteLLM's /guardrails/apply_guardrail):
   * as input when it checks input, else as output. Returns the text as the
   * guardrail leaves it; throws its block, 404 for an unknown name. `applied`
   * gets its name and decision, as a call's trace would.
   */
  async apply(name: string, text: string, requestId: string, applied: { guardrails: string[]; decisions: Decision[] }): Promise<string> {
    const spec = this.opts.policy.get(name)
    if (!spec) {
      throw new GatewayError(404, `unknown guardrail "${name}"; GET /guardrails/list names the configured ones`, { code: 'unknown_guardrail', param: 'guardrail_name' })
    }
    applied.guardrails = [spec.name]
    const direction = spec.guardrail.checkInput ? 'input' : 'output'
    const mode = direction === 'input' ? 'pre_call' : 'post_call'
    const call: CallInfo = { requestId, model: '', callType: 'chat', caller: {}, requestMetadata: {}, request: {}, signal: new AbortController().signal }
    const verdict = await check(spec, direction, mode, [{ index: 0, text, source: direction === 'input' ? 'user' : 'completion' }], call, (d) => applied.decisions.push(d))
    if (verdict.action === 'block') throw new GuardrailBlocked(spec.name, mode, verdict.reason, verdict.details)
    return verdict.action === 'rewrite' ? (verdict.texts[0] ?? text) : text
  }
}

export class CallGuards<Req extends JsonObject, Answer> {
  /** names of every guardrail that runs on this call, whatever its mode */
  readonly names: string[]
  private readonly specs: readonly GuardrailSpec[]
  private readonly opts: PipelineOptions
  private readonly input: CallGuardInput<Req, Answer>
  private readonly call: CallInfo
  private readonly sink: DecisionSink

  constructor(opts: PipelineOptions, input: CallGuardInput<Req, Answer>, specs: readonly GuardrailSpec[]) {
    this.opts = opts
    this.input = input
    this.specs = specs
    this.names = specs.map((s) => s.name)
    const metadata = input.body.metadata
    this.call = {
      requestId: input.requestId,
      model: String(input.body.model),
      callType: input.callType,
      caller: input.caller,
      requestMetadata: isObject(metadata) ? metadata : {},
      ...(Array.isArray(input.body.tools) ? { tools: input.body.tools as unknown[] } : {}),
      request: input.body,
      signal: input.signal,
    }
    this.sink = (d) => {
      input.decisions.push(d)
      opts.observe(d)
    }
  }

  private inMode(mode: GuardrailMode): GuardrailSpec[] {
    return this.specs.filter((s) => s.modes.has(mode))
  }

  /** Rewrites the request body in place; returns the block, if one blocked. */
  async preCall(): Promise<BlockInfo | undefined> {
    const specs = this.inMode('pre_call')
    if (specs.length === 0) return undefined
    const { texts, body } = this.input
    const r = await runChain(specs, 'input', 'pre_call', texts.requestTexts(body), this.call, this.sink)
    if (r.block) return r.block
    if (r.rewritten) texts.applyRequestTexts(body, r.texts)
    if (r.params) setParams(body, r.params)
    return undefined
  }

  /**
   * Starts during_call guardrails beside the upstream call; `abortUpstream` is
   * called as soon as one blocks or fails closed. Resolves to the block, if any.
   */
  duringCall(abortUpstream: () => void): Promise<BlockInfo | undefined> | undefined {
    const specs = this.inMode('during_call')
    if (specs.length === 0) return undefined
    const texts = this.requestTexts()
    // Each runs independently (they cannot rewrite), so all start at once. The
    // first block (or fail-closed error) settles the result and aborts the
    // upstream at once, rather than after the slowest guardrail's timeout; the
    // others still finish and record their decisions.
    return new Promise<BlockInfo | undefined>((resolve, reject) => {
      let pending = specs.length
      for (const s of specs) {
        runChain([s], 'input', 'during_call', texts, this.call, this.sink).then(
          (r) => {
            if (r.block) {
              abortUpstream()
              resolve(r.block)
            } else if (--pending === 0) resolve(undefined)
          },
          (err: unknown) => {
            abortUpstream()
            reject(err)
          },
        )
      }
    })
  }

  /** post_call on a JSON answer: rewrites it in place; returns the block, if one blocked. */
  async postCall(answer: Answer): Promise<BlockInfo | undefined> {
    const specs = this.inMode('post_call')
    if (specs.length === 0) return undefined
    const { texts } = this.input
    const r = await runChain(specs, 'output', 'post_call', texts.answerTexts(answer), this.call, this.sink)
    if (r.block) return r.block
    if (r.rewritten) texts.applyAnswerTexts(answer, r.texts, r.drop)
    return undefined
  }

  /** post_call on a stream, read and rebuilt through the protocol's `events`. */
  guardStream<Event>(stream: AsyncIterable<Event>, events: StreamEvents<Event>): AsyncIterable<Event> {
    const specs = this.inMode('post_call')
    if (specs.length === 0) return stream
    return guardStream(stream, { specs, call: this.call, sink: this.sink, window: this.opts.streamWindow, events })
  }

  get hasLoggingOnly(): boolean {
    return this.specs.some((s) => s.modes.has('logging_only'))
  }

  /** Queues logging_only checks of the request and the delivered answer texts. */
  logAfter(answerTexts: GuardText[]): void {
    const specs = this.inMode('logging_only')
    if (specs.length === 0) return
    const requestTexts = this.requestTexts()
    // The client's abort must not cancel work that runs after the answer.
    const call: CallInfo = { ...this.call, signal: new AbortController().signal }
    this.opts.queue.push(async () => {
      for (const s of specs) {
        try {
          await runChain([s], 'input', 'logging_only', requestTexts, call, this.opts.observe)
          await runChain([s], 'output', 'logging_only', answerTexts, call, this.opts.observe)
        } catch {
          // fail-closed outcomes were already recorded by the engine; nothing to block here
        }
      }
    })
  }

  /** the request's texts as the upstream got them (after pre_call rewrites) */
  requestTexts(): GuardText[] {
    return this.input.texts.requestTexts(this.input.body)
  }

  answerTexts(answer: Answer): GuardText[] {
    return this.input.texts.answerTexts(answer)
  }
}

/** A pre_call guardrail's request fields (a clamped max_tokens, a filtered `tools`); null removes the field. */
function setParams(body: JsonObject, params: Readonly<Record<string, unknown>>): void {
  for (const [k, v] of Object.entries(params)) {
    if (k === 'model' || k === 'messages' || k === 'stream') continue // the routing and the texts are not a guardrail's to swap
    if (v === null) delete body[k]
    else body[k] = v
  }
}
