// The guardrail side of one call, in the order the gateway runs it: resolve
// which guardrails apply, pre_call (rewrite or block before the model),
// during_call (beside the upstream call), post_call (JSON answers and
// streams), logging_only (after the answer, through the bounded queue).
import { isObject, type JsonObject } from '../json.ts'
import { runChain, type BlockInfo, type CallInfo, type DecisionSink } from './engine.ts'
import { GuardrailBlocked } from './errors.ts'
import type { BoundedQueue } from './logging-queue.ts'
import type { GuardrailPolicy } from './policy.ts'
import type { GuardrailSpec } from './spec.ts'
import { guardStream } from './stream.ts'
import { applyRequestTexts, applyResponseTexts, extractRequestTexts, extractResponseTexts, type CallType } from './texts.ts'
import type { Decision, GuardrailMode, GuardText } from './types.ts'

export interface PipelineOptions {
  policy: GuardrailPolicy
  queue: BoundedQueue
  /** characters held back per choice on streams */
  streamWindow: number
  /** receives every decision (metrics, logs) */
  observe: (d: Decision) => void
}

export interface CallGuardInput {
  callType: CallType
  body: JsonObject
  requestId: string
  signal: AbortSignal
  /** guardrail names bound to the caller's key */
  bound: readonly string[]
  /** server-trusted caller data (key metadata) */
  caller: Readonly<Record<string, unknown>>
  /** collects this call's decisions */
  decisions: Decision[]
}

/** A block the gateway must answer: a refusal (200) or, when thrown, a 400. */
export interface Refusal {
  text: string
}

export class GuardrailPipeline {
  private readonly opts: PipelineOptions

  constructor(opts: PipelineOptions) {
    this.opts = opts
  }

  get policy(): GuardrailPolicy {
    return this.opts.policy
  }

  /** Throws 400/403 for guardrail requests the policy refuses. */
  forCall(input: CallGuardInput): CallGuards {
    return new CallGuards(this.opts, input, this.opts.policy.resolve(input.body, input.bound))
  }
}

export class CallGuards {
  /** names of every guardrail that runs on this call, whatever its mode */
  readonly names: string[]
  private readonly specs: readonly GuardrailSpec[]
  private readonly opts: PipelineOptions
  private readonly input: CallGuardInput
  private readonly call: CallInfo
  private readonly sink: DecisionSink

  constructor(opts: PipelineOptions, input: CallGuardInput, specs: readonly GuardrailSpec[]) {
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

  get hasPostCall(): boolean {
    return this.specs.some((s) => s.modes.has('post_call'))
  }

  /** Rewrites the request body in place; returns a refusal, or throws a block. */
  async preCall(): Promise<Refusal | undefined> {
    const specs = this.inMode('pre_call')
    if (specs.length === 0) return undefined
    const { callType, body } = this.input
    const r = await runChain(specs, 'input', 'pre_call', extractRequestTexts(callType, body), this.call, this.sink)
    if (r.block) return this.refuseOrThrow(r.block)
    if (r.rewritten) applyRequestTexts(callType, body, r.texts)
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
    const texts = extractRequestTexts(this.input.callType, this.input.body)
    // Each runs independently (they cannot rewrite), so all start at once.
    // The first block (or fail-closed error) settles the result and aborts the
    // upstream at once: waiting for every during_call guardrail first (as a
    // Promise.all did) let one slow guardrail keep a blocked upstream call — and
    // the client's 400 — waiting up to its timeout. The others still finish and
    // record their decisions.
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

  /** post_call on a JSON answer: rewrites it in place, or returns a refusal, or throws a block. */
  async postCall(answer: JsonObject): Promise<Refusal | undefined> {
    const specs = this.inMode('post_call')
    if (specs.length === 0) return undefined
    const { callType } = this.input
    const r = await runChain(specs, 'output', 'post_call', extractResponseTexts(callType, answer), this.call, this.sink)
    if (r.block) return this.refuseOrThrow(r.block)
    if (r.rewritten) applyResponseTexts(callType, answer, r.texts, r.drop)
    return undefined
  }

  /** post_call on a stream (chat and completions). */
  guardStream(events: AsyncIterable<JsonObject>): AsyncIterable<JsonObject> {
    const specs = this.inMode('post_call')
    if (specs.length === 0 || this.input.callType === 'embeddings') return events
    return guardStream(events, { specs, call: this.call, sink: this.sink, window: this.opts.streamWindow, callType: this.input.callType })
  }

  /** Queues logging_only checks of the request and the delivered answer texts. */
  logAfter(answerTexts: GuardText[]): void {
    const specs = this.inMode('logging_only')
    if (specs.length === 0) return
    const requestTexts = extractRequestTexts(this.input.callType, this.input.body)
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

  get hasLoggingOnly(): boolean {
    return this.specs.some((s) => s.modes.has('logging_only'))
  }

  /** the request's texts as the upstream got them (after pre_call rewrites) */
  requestTexts(): GuardText[] {
    return extractRequestTexts(this.input.callType, this.input.body)
  }

  responseTexts(answer: JsonObject): GuardText[] {
    return extractResponseTexts(this.input.callType, answer)
  }

  refuseOrThrow(b: BlockInfo): Refusal {
    // Embeddings have no text answer to refuse with: their block is the 400 that
    // names the guardrail (a refusal there became a 400 without the guardrail).
    if (b.spec.onBlock === 'refusal' && this.input.callType !== 'embeddings') return { text: b.spec.refusalMessage }
    throw new GuardrailBlocked(b.spec.name, b.mode, b.reason, b.details)
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
