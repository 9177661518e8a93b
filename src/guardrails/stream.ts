// post_call guardrails on streams, with no extra code in the guardrail.
// Each choice's text is held back until the guardrails have cleared it: the
// last `window` characters always stay held, so a span of up to `window`
// characters — even one split across upstream chunks — is wholly inside some
// check before any of it is released; a rewrite that reaches into the held
// tail waits for what follows (uncommittedCut). Tool-call arguments are held
// whole and checked at the end. A block before anything was released surfaces
// before the first byte; after that it ends the stream (the HTTP layer sends
// the protocol's error event), or each choice with the refusal. Guardrails
// with their own `openStream` see every piece as it arrives, before the client
// does. The protocol's events are read and rebuilt through StreamEvents, so
// this file knows no wire format.
import { DecisionFolder } from './decisions.ts'
import { guarded, runChain, type BlockInfo, type CallInfo, type DecisionSink } from './engine.ts'
import type { ChoiceDelta, HeldCall, StreamEvents } from './formats.ts'
import { blockOutcome } from './outcome.ts'
import type { GuardrailSpec } from './spec.ts'
import type { GuardText, StreamScanner } from './types.ts'

export interface StreamGuardOptions<Event> {
  specs: readonly GuardrailSpec[]
  call: CallInfo
  sink: DecisionSink
  /** characters held back per choice until cleared */
  window: number
  /** how the protocol's events are read and rebuilt */
  events: StreamEvents<Event>
}

/** Checks are batched: a choice is checked once this much beyond the window has piled up. */
const STEP = 64
/** How far beyond the window a rewrite touching the tail is deferred (see uncommittedCut) before it is committed anyway. */
const DEFER_LIMIT = 4 * STEP

export function guardStream<Event>(events: AsyncIterable<Event>, opts: StreamGuardOptions<Event>): AsyncGenerator<Event> {
  return new StreamGuard(opts).run(events)
}

/** One choice of the answer: its text held back until cleared, its tool calls held whole. */
class HeldChoice {
  readonly index: number
  held = ''
  /** something was emitted for this choice */
  started = false
  finish: string | null = null
  readonly tools = new Map<number, HeldCall>()
  /** a legacy `functions` API call (delta.function_call), held whole like a tool call */
  fn: HeldCall | undefined
  /** held length at which the next check runs */
  checkAt: number
  /** a guardrail removed some of its tool calls */
  droppedCalls = false

  constructor(index: number, window: number) {
    this.index = index
    this.checkAt = window + STEP
  }

  /** Takes an event's tool-call pieces and finish reason (its text went through the scanners first). */
  collect(d: ChoiceDelta): void {
    for (const piece of d.toolCalls ?? []) {
      let t = this.tools.get(piece.index)
      if (!t) this.tools.set(piece.index, (t = { id: undefined, name: '', args: '' }))
      if (piece.id !== undefined) t.id = piece.id
      t.name += piece.name ?? ''
      t.args += piece.arguments ?? ''
    }
    if (d.functionCall) {
      this.fn ??= { id: undefined, name: '', args: '' }
      this.fn.name += d.functionCall.name ?? ''
      this.fn.args += d.functionCall.arguments ?? ''
    }
    if (d.finish) this.finish = d.finish
  }

  /** its tool calls, the legacy function call last */
  calls(): HeldCall[] {
    return this.fn ? [...this.tools.values(), this.fn] : [...this.tools.values()]
  }

  /** a tool call a guardrail removed (tool_permission rewrite): never emitted */
  drop(call: HeldCall): void {
    for (const [k, t] of this.tools) if (t === call) this.tools.delete(k)
    if (this.fn === call) this.fn = undefined
    this.droppedCalls = true
  }

  /** the finish reason it ends with: a call's, unless every call was removed */
  finishReason(): string | null {
    const nothingToCall = this.droppedCalls && this.tools.size === 0 && !this.fn
    return nothingToCall && (this.finish === 'tool_calls' || this.finish === 'function_call') ? 'stop' : this.finish
  }
}

/** A text under check and whose it is: a choice's held text, or (at the end) one of its tool calls. */
interface Owner {
  st: HeldChoice
  tool?: HeldCall
}

class StreamGuard<Event> {
  private readonly opts: StreamGuardOptions<Event>
  private readonly folder: DecisionFolder
  private readonly checkers: readonly GuardrailSpec[]
  private readonly scanners: Array<{ spec: GuardrailSpec; scanner: StreamScanner }> = []
  private readonly choices = new Map<number, HeldChoice>()
  /** the last upstream event: ids and model of the events built here */
  private like: Event | undefined
  /** the usage-only event, sent last */
  private usage: Event | undefined

  constructor(opts: StreamGuardOptions<Event>) {
    this.opts = opts
    this.folder = new DecisionFolder(opts.sink)
    this.checkers = opts.specs.filter((s) => typeof s.guardrail.checkOutput === 'function')
  }

  async *run(events: AsyncIterable<Event>): AsyncGenerator<Event> {
    try {
      for (const spec of this.opts.specs) {
        const open = spec.guardrail.openStream
        if (open) this.scanners.push({ spec, scanner: open.call(spec.guardrail, { ...this.opts.call, mode: 'post_call', signal: this.opts.call.signal }) })
      }
      for await (const ev of events) {
        this.like = ev
        const deltas = this.opts.events.read(ev)
        if (!deltas) {
          this.usage = ev
          continue
        }
        for (const d of deltas) {
          const st = this.choice(d.index)
          const text = d.text
          if (text) {
            if (yield* this.scan((scanner) => scanner.push(text, d.index))) return
            st.held += text
          }
          st.collect(d)
        }
        const ready = [...this.choices.values()].filter((st) => st.held.length >= st.checkAt)
        if (ready.length > 0 && (yield* this.release(ready, false))) return
      }
      if (yield* this.scan((scanner) => scanner.end())) return
      if (yield* this.release([...this.choices.values()], true)) return
      if (this.usage) yield this.usage
    } finally {
      this.folder.flush()
    }
  }

  private choice(index: number): HeldChoice {
    let st = this.choices.get(index)
    if (!st) this.choices.set(index, (st = new HeldChoice(index, this.opts.window)))
    return st
  }

  /** Runs the guardrails' own stream scanners; true when one blocked (the stream is ended). */
  private async *scan(step: (scanner: StreamScanner) => ReturnType<StreamScanner['push']>): AsyncGenerator<Event, boolean> {
    for (const { spec, scanner } of this.scanners) {
      const v = await guarded(spec, 'post_call', this.opts.call, this.folder.sink, 0, () => step(scanner))
      if (v.action === 'block') {
        yield* this.blocked({ spec, mode: 'post_call', reason: v.reason, details: v.details })
        return true
      }
    }
    return false
  }

  /** Checks the held text of `ready` choices and releases what is cleared; true when the stream was ended by a block. */
  private async *release(ready: HeldChoice[], final: boolean): AsyncGenerator<Event, boolean> {
    const checked = await this.check(ready, final)
    if ('block' in checked) {
      yield* this.blocked(checked.block)
      return true
    }
    for (const st of ready) yield* this.emit(st, final, checked.cuts.get(st))
    return false
  }

  /**
   * Runs the post_call checks on what `ready` holds (at the end, their tool
   * calls too) and applies the verdicts: rewrites, removed tool calls. Returns
   * the block, or for each choice whose rewrite was not committed how much of
   * its (original) held text may be released.
   */
  private async check(ready: HeldChoice[], final: boolean): Promise<{ block: BlockInfo } | { cuts: Map<HeldChoice, number> }> {
    const cuts = new Map<HeldChoice, number>()
    const texts: GuardText[] = []
    const owners: Owner[] = []
    for (const st of ready) {
      if (st.held) {
        texts.push({ index: texts.length, text: st.held, source: 'completion' })
        owners.push({ st })
      }
      if (!final) continue
      for (const tool of st.calls()) {
        if (!tool.args) continue
        texts.push({ index: texts.length, text: tool.args, source: 'tool_call', toolName: tool.name })
        owners.push({ st, tool })
      }
    }
    if (texts.length === 0 || this.checkers.length === 0) return { cuts }
    const { window } = this.opts
    const r = await runChain(this.checkers, 'output', 'post_call', texts, this.opts.call, this.folder.sink)
    if (r.block) return { block: r.block }
    for (const i of r.drop) {
      const o = owners[i]
      if (o?.tool) o.st.drop(o.tool)
    }
    r.texts.forEach((t, i) => {
      const o = owners[i]
      if (!o) return
      if (o.tool) o.tool.args = t.text
      else if (final || t.text === o.st.held) o.st.held = t.text
      else {
        const cut = uncommittedCut(o.st.held, t.text, window, o.st.held.length >= window + DEFER_LIMIT)
        if (cut === undefined) o.st.held = t.text
        else cuts.set(o.st, cut)
      }
    })
    return { cuts }
  }

  /** Emits what `st` may release (at the end: everything, its tool calls and its finish). */
  private *emit(st: HeldChoice, final: boolean, uncommitted: number | undefined): Generator<Event> {
    const events = this.opts.events
    const cut = final ? st.held.length : safeCut(st.held, uncommitted ?? st.held.length - this.opts.window)
    if (cut > 0) {
      const out = st.held.slice(0, cut)
      st.held = st.held.slice(cut)
      yield events.text(this.like, st.index, out, !st.started)
      st.started = true
    }
    // the next check once STEP more has arrived (an uncommitted rewrite may have left more than the window held)
    st.checkAt = st.held.length + STEP
    if (!final) return
    if (st.tools.size > 0 && events.toolCalls) {
      yield events.toolCalls(this.like, st.index, [...st.tools.values()], !st.started)
      st.started = true
    }
    if (st.fn && events.functionCall) {
      yield events.functionCall(this.like, st.index, st.fn, !st.started)
      st.started = true
    }
    const finish = st.finishReason()
    if (finish) yield events.finish(this.like, st.index, finish, !st.started)
  }

  /** A block: every choice ends with the refusal, or the call fails (blockOutcome decides). */
  private *blocked(b: BlockInfo): Generator<Event> {
    const outcome = blockOutcome(b, this.opts.events)
    if ('error' in outcome) throw outcome.error
    if (this.choices.size === 0) this.choice(0)
    for (const st of this.choices.values()) {
      yield* outcome.with.refusal(this.like, st.index, outcome.refusal, !st.started)
      st.started = true
    }
  }
}

/**
 * A rewrite that reaches into the held-back tail was made without seeing what
 * follows: a `\b` pattern masks "secret" in "secret|ary", a greedy one masks
 * "jo@example.co" and the next check releases the "m.au" after it — a span
 * that fits the window leaked in part, and the answer differs from the JSON
 * one. Such a rewrite is not committed: only the unchanged text before its
 * first change (and before the tail) is released, the rest stays original and
 * is checked again with what follows (0: nothing is released until the next
 * check). Returns that length, or undefined to commit the rewrite: it left
 * the tail alone, or it has been deferred long enough (`force`).
 */
function uncommittedCut(original: string, rewritten: string, window: number, force: boolean): number | undefined {
  if (force) return undefined
  const max = Math.min(original.length, rewritten.length)
  let prefix = 0
  while (prefix < max && original.charCodeAt(prefix) === rewritten.charCodeAt(prefix)) prefix++
  let suffix = 0
  while (suffix < max - prefix && original.charCodeAt(original.length - 1 - suffix) === rewritten.charCodeAt(rewritten.length - 1 - suffix)) suffix++
  if (suffix >= window) return undefined
  return Math.max(0, Math.min(prefix, original.length - window))
}

/** Never release half of a UTF-16 surrogate pair. */
function safeCut(text: string, at: number): number {
  if (at <= 0) return 0
  const code = text.charCodeAt(at)
  return code >= 0xdc00 && code <= 0xdfff ? at - 1 : at
}
