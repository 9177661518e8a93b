// Chat and legacy-completion stream chunks, read and rebuilt for the stream
// guard and the gateway: which chunks carry text, tool calls, finish reasons
// or only usage, and the chunks the guard emits in their place.
import { randomUUID } from 'node:crypto'
import type { ChoiceDelta, HeldCall, ToolCallPiece } from '../../guardrails/formats.ts'
import { isObject } from '../../json.ts'
import type { ChatChunk, ChunkChoice, Completion, CompletionChoice } from '../../providers/types.ts'
import type { StreamFormat, TokenUsage } from '../protocol.ts'
import { openAIUsage, SSE_DONE, sseData } from './wire.ts'

type Events<Event> = Omit<StreamFormat<never, Event>, 'requested' | 'upstreamRequest' | 'wantsUsage' | 'call'>

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

/** The choices of a chunk; none for a chunk that carries only usage. */
function choicesOf<C>(ev: { choices?: C[]; usage?: unknown }): C[] | undefined {
  const list = Array.isArray(ev.choices) ? ev.choices : []
  return ev.usage && list.length === 0 ? undefined : list
}

function usageOf(ev: { choices?: unknown[]; usage?: unknown }): TokenUsage | undefined {
  return choicesOf(ev) === undefined ? openAIUsage(ev.usage) : undefined
}

function toolPieces(deltas: unknown[]): ToolCallPiece[] {
  const out: ToolCallPiece[] = []
  for (const d of deltas) {
    if (!isObject(d)) continue
    const fn = isObject(d.function) ? d.function : {}
    out.push({ index: typeof d.index === 'number' ? d.index : 0, id: str(d.id), name: str(fn.name), arguments: str(fn.arguments) })
  }
  return out
}

/** Content, a tool call, a finish reason or usage: the stream is really flowing (a role-only or empty chunk is not enough). */
function carries(ev: { choices?: unknown; usage?: unknown }): boolean {
  if (ev.usage) return true
  if (!Array.isArray(ev.choices)) return true
  for (const c of ev.choices as Array<{ delta?: { content?: unknown; tool_calls?: unknown }; text?: unknown; finish_reason?: unknown }>) {
    if (c.finish_reason) return true
    if (typeof c.text === 'string' && c.text !== '') return true
    const d = c.delta
    if (d && ((typeof d.content === 'string' && d.content !== '') || d.tool_calls)) return true
  }
  return false
}

/** A chunk like the upstream's last one (id, model, fingerprint) for one choice; a fresh id when the upstream sent none. */
function chatChunk(like: ChatChunk | undefined, choice: ChunkChoice): ChatChunk {
  return {
    id: like?.id ?? `chatcmpl-${randomUUID()}`,
    object: like?.object ?? 'chat.completion.chunk',
    created: like?.created ?? Math.floor(Date.now() / 1000),
    model: like?.model ?? '',
    ...(like?.system_fingerprint !== undefined ? { system_fingerprint: like.system_fingerprint } : {}),
    choices: [choice],
  }
}

const role = (first: boolean): { role?: 'assistant' } => (first ? { role: 'assistant' } : {})

export const chatEvents: Events<ChatChunk> = {
  read(ev): ChoiceDelta[] | undefined {
    return choicesOf(ev)?.map((c) => {
      const delta = c.delta ?? {}
      const fn = delta.function_call
      return {
        index: typeof c.index === 'number' ? c.index : 0,
        text: nonEmpty(delta.content),
        toolCalls: Array.isArray(delta.tool_calls) ? toolPieces(delta.tool_calls) : undefined,
        functionCall: isObject(fn) ? { name: str(fn.name), arguments: str(fn.arguments) } : undefined,
        finish: nonEmpty(c.finish_reason),
      }
    })
  },
  text: (like, index, content, first) => chatChunk(like, { index, delta: { ...role(first), content }, finish_reason: null, logprobs: null }),
  toolCalls(like, index, calls: readonly HeldCall[], first) {
    // numbered afresh: a removed call must not leave a gap clients would fill with an empty one
    const tool_calls = calls.map((t, i) => ({ index: i, id: t.id, type: 'function' as const, function: { name: t.name, arguments: t.args } }))
    return chatChunk(like, { index, delta: { ...role(first), tool_calls }, finish_reason: null, logprobs: null })
  },
  functionCall: (like, index, call, first) =>
    chatChunk(like, { index, delta: { ...role(first), function_call: { name: call.name, arguments: call.args } }, finish_reason: null, logprobs: null }),
  finish: (like, index, reason, first) => chatChunk(like, { index, delta: role(first), finish_reason: reason, logprobs: null }),
  refusal(like, index, text, first) {
    return [this.text(like, index, text, first), this.finish(like, index, 'content_filter', false)]
  },
  usage: usageOf,
  carries,
  frame: sseData,
  done: SSE_DONE,
}

function completionChunk(like: Completion | undefined, choice: CompletionChoice): Completion {
  return {
    id: like?.id ?? `cmpl-${randomUUID()}`,
    object: like?.object ?? 'text_completion',
    created: like?.created ?? Math.floor(Date.now() / 1000),
    model: like?.model ?? '',
    ...(like?.system_fingerprint !== undefined ? { system_fingerprint: like.system_fingerprint } : {}),
    choices: [choice],
  }
}

export const completionEvents: Events<Completion> = {
  read(ev): ChoiceDelta[] | undefined {
    return choicesOf(ev)?.map((c) => ({ index: typeof c.index === 'number' ? c.index : 0, text: nonEmpty(c.text), finish: nonEmpty(c.finish_reason) }))
  },
  text: (like, index, text) => completionChunk(like, { index, text, finish_reason: null, logprobs: null }),
  finish: (like, index, reason) => completionChunk(like, { index, text: '', finish_reason: reason, logprobs: null }),
  refusal(like, index, text, first) {
    return [this.text(like, index, text, first), this.finish(like, index, 'content_filter', false)]
  },
  usage: usageOf,
  carries,
  frame: sseData,
  done: SSE_DONE,
}
