// post_call guardrails on SSE streams, with no extra code in the guardrail.
// Each choice's text is held back until the guardrails have cleared it: the
// last `window` characters always stay held, so a span of up to `window`
// characters — even one split across upstream chunks — is wholly inside some
// check before any of it is released; a rewrite that reaches into the held
// tail waits for what follows (uncommittedCut). Tool-call arguments are held whole and
// checked at the end. A block before anything was released surfaces before
// the first byte; after that it ends the stream (the HTTP layer sends the
// error event). Guardrails with their own `openStream` see every piece as it
// arrives, before the client does.
import type { JsonObject } from '../json.ts'
import { DecisionFolder } from './decisions.ts'
import { guarded, runChain, type BlockInfo, type CallInfo, type DecisionSink } from './engine.ts'
import { GuardrailBlocked } from './errors.ts'
import type { GuardrailSpec } from './spec.ts'
import type { GuardText, StreamScanner } from './types.ts'

export interface StreamGuardOptions {
  specs: readonly GuardrailSpec[]
  call: CallInfo
  sink: DecisionSink
  /** characters held back per choice until cleared */
  window: number
  callType: 'chat' | 'completion'
}

interface ToolCallState {
  id: string | undefined
  name: string
  args: string
}

interface ChoiceState {
  index: number
  held: string
  started: boolean
  finish: string | null
  tools: Map<number, ToolCallState>
  /** a legacy `functions` API call (delta.function_call), held whole like a tool call */
  fn: ToolCallState | undefined
  /** held length at which the next check runs */
  checkAt: number
  /** a guardrail removed some of its tool calls */
  droppedCalls: boolean
}

/** Checks are batched: a choice is checked once this much beyond the window has piled up. */
const STEP = 64
/** How far beyond the window a rewrite touching the tail is deferred (see uncommittedCut) before it is committed anyway. */
const DEFER_LIMIT = 4 * STEP

export async function* guardStream(events: AsyncIterable<JsonObject>, opts: StreamGuardOptions): AsyncGenerator<JsonObject> {
  const { window, callType } = opts
  const folder = new DecisionFolder(opts.sink)
  const checkers = opts.specs.filter((s) => typeof s.guardrail.checkOutput === 'function')
  const scanners: Array<{ spec: GuardrailSpec; scanner: StreamScanner }> = []
  const choices = new Map<number, ChoiceState>()
  let template: JsonObject = {}
  let usage: JsonObject | undefined

  const chunk = (choice: JsonObject): JsonObject => ({
    id: template.id,
    object: template.object ?? (callType === 'chat' ? 'chat.completion.chunk' : 'text_completion'),
    created: template.created,
    model: template.model,
    ...(template.system_fingerprint !== undefined ? { system_fingerprint: template.system_fingerprint } : {}),
    choices: [choice],
  })
  const textChunk = (st: ChoiceState, text: string): JsonObject => {
    if (callType === 'completion') return chunk({ index: st.index, text, finish_reason: null, logprobs: null })
    const delta: JsonObject = st.started ? { content: text } : { role: 'assistant', content: text }
    st.started = true
    return chunk({ index: st.index, delta, finish_reason: null, logprobs: null })
  }
  const finishChunk = (st: ChoiceState, reason: string): JsonObject =>
    callType === 'completion'
      ? chunk({ index: st.index, text: '', finish_reason: reason, logprobs: null })
      : chunk({ index: st.index, delta: st.started ? {} : { role: 'assistant' }, finish_reason: reason, logprobs: null })

  /** A block: on_block refusal ends every choice with the refusal text, otherwise the call fails. */
  function* blocked(b: BlockInfo): Generator<JsonObject> {
    if (b.spec.onBlock !== 'refusal') throw new GuardrailBlocked(b.spec.name, b.mode, b.reason, b.details)
    if (choices.size === 0) choices.set(0, newChoice(0, window))
    for (const st of choices.values()) {
      yield textChunk(st, b.spec.refusalMessage)
      yield finishChunk(st, 'content_filter')
    }
  }

  /** Checks the held text of `ready` choices, releases what is cleared; returns true when the stream was ended by a block. */
  async function* release(ready: ChoiceState[], final: boolean): AsyncGenerator<JsonObject, boolean> {
    const texts: GuardText[] = []
    const owners: Array<{ st: ChoiceState; tool?: ToolCallState }> = []
    /** choices whose rewrite was not committed: how much of their (original) held text is released */
    const cuts = new Map<ChoiceState, number>()
    for (const st of ready) {
      if (st.held) {
        texts.push({ index: texts.length, text: st.held, source: 'completion' })
        owners.push({ st })
      }
      if (final) {
        for (const tool of st.fn ? [...st.tools.values(), st.fn] : st.tools.values()) {
          if (!tool.args) continue
          texts.push({ index: texts.length, text: tool.args, source: 'tool_call', toolName: tool.name })
          owners.push({ st, tool })
        }
      }
    }
    if (texts.length > 0 && checkers.length > 0) {
      const r = await runChain(checkers, 'output', 'post_call', texts, opts.call, folder.sink)
      if (r.block) {
        yield* blocked(r.block)
        return true
      }
      for (const i of r.drop) {
        // a tool call a guardrail removed (tool_permission rewrite) is never emitted
        const o = owners[i]
        if (!o?.tool) continue
        for (const [k, t] of o.st.tools) if (t === o.tool) o.st.tools.delete(k)
        if (o.st.fn === o.tool) o.st.fn = undefined
        o.st.droppedCalls = true
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
    }
    for (const st of ready) {
      const cut = final ? st.held.length : safeCut(st.held, cuts.get(st) ?? st.held.length - window)
      if (cut > 0) {
        const out = st.held.slice(0, cut)
        st.held = st.held.slice(cut)
        yield textChunk(st, out)
      }
      // the next check once STEP more has arrived (an uncommitted rewrite may have left more than the window held)
      st.checkAt = st.held.length + STEP
      if (!final) continue
      if (callType === 'chat' && st.tools.size > 0) {
        // numbered afresh: a removed call must not leave a gap clients would fill with an empty one
        const tool_calls = [...st.tools.values()].map((t, index) => ({ index, id: t.id, type: 'function', function: { name: t.name, arguments: t.args } }))
        yield chunk({ index: st.index, delta: st.started ? { tool_calls } : { role: 'assistant', tool_calls }, finish_reason: null, logprobs: null })
        st.started = true
      }
      if (callType === 'chat' && st.fn) {
        // was dropped before: a legacy-functions client got finish_reason function_call without the call
        const function_call = { name: st.fn.name, arguments: st.fn.args }
        yield chunk({ index: st.index, delta: st.started ? { function_call } : { role: 'assistant', function_call }, finish_reason: null, logprobs: null })
        st.started = true
      }
      if (st.finish) {
        const nothingToCall = st.droppedCalls && st.tools.size === 0 && !st.fn
        yield finishChunk(st, nothingToCall && (st.finish === 'tool_calls' || st.finish === 'function_call') ? 'stop' : st.finish)
      }
    }
    return false
  }

  try {
    for (const spec of opts.specs) {
      const open = spec.guardrail.openStream
      if (open) scanners.push({ spec, scanner: open.call(spec.guardrail, { ...opts.call, mode: 'post_call', signal: opts.call.signal }) })
    }
    for await (const ev of events) {
      template = ev
      const list = Array.isArray(ev.choices) ? (ev.choices as JsonObject[]) : []
      if (ev.usage && list.length === 0) {
        usage = ev
        continue
      }
      for (const c of list) {
        const index = typeof c.index === 'number' ? c.index : 0
        let st = choices.get(index)
        if (!st) choices.set(index, (st = newChoice(index, window)))
        const delta = (c.delta ?? {}) as JsonObject
        const text = callType === 'chat' ? delta.content : c.text
        if (typeof text === 'string' && text !== '') {
          for (const { spec, scanner } of scanners) {
            const v = await guarded(spec, 'post_call', opts.call, folder.sink, 0, () => scanner.push(text, index))
            if (v.action === 'block') {
              yield* blocked({ spec, mode: 'post_call', reason: v.reason, details: v.details })
              return
            }
          }
          st.held += text
        }
        if (Array.isArray(delta.tool_calls)) collectToolCalls(st, delta.tool_calls as JsonObject[])
        if (typeof delta.function_call === 'object' && delta.function_call !== null) {
          st.fn ??= { id: undefined, name: '', args: '' }
          collectFunction(st.fn, delta.function_call as JsonObject)
        }
        if (typeof c.finish_reason === 'string' && c.finish_reason) st.finish = c.finish_reason
      }
      const ready = [...choices.values()].filter((st) => st.held.length >= st.checkAt)
      if (ready.length > 0 && (yield* release(ready, false))) return
    }
    for (const { spec, scanner } of scanners) {
      const v = await guarded(spec, 'post_call', opts.call, folder.sink, 0, () => scanner.end())
      if (v.action === 'block') {
        yield* blocked({ spec, mode: 'post_call', reason: v.reason, details: v.details })
        return
      }
    }
    if (yield* release([...choices.values()], true)) return
    if (usage) yield usage
  } finally {
    folder.flush()
  }
}

function newChoice(index: number, window: number): ChoiceState {
  return { index, held: '', started: false, finish: null, tools: new Map(), fn: undefined, checkAt: window + STEP, droppedCalls: false }
}

function collectToolCalls(st: ChoiceState, deltas: JsonObject[]): void {
  for (const d of deltas) {
    const i = typeof d.index === 'number' ? d.index : 0
    let t = st.tools.get(i)
    if (!t) st.tools.set(i, (t = { id: undefined, name: '', args: '' }))
    if (typeof d.id === 'string') t.id = d.id
    collectFunction(t, (d.function ?? {}) as JsonObject)
  }
}

function collectFunction(t: ToolCallState, fn: JsonObject): void {
  if (typeof fn.name === 'string') t.name += fn.name
  if (typeof fn.arguments === 'string') t.args += fn.arguments
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
