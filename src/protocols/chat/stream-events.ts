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
  if (ev.usage || !Array.isArray(ev.choices)) return true
  return ev.choices.some(
    (c: unknown) =>
      isObject(c) &&
      (Boolean(c.finish_reason) || nonEmpty(c.text) !== undefined || (isObject(c.delta) && (nonEmpty(c.delta.content) !== undefined || Boolean(c.delta.tool_calls)))),
  )
}

/** The envelope of a chunk like the upstream's last one (id, model, fingerprint); a fresh id when the upstream sent none. */
function envelope<O extends string>(like: { id: string; object: O; created: number; model: string; system_fingerprint?: unknown } | undefined, object: O, idPrefix: string) {
  return {
    id: like?.id ?? `${idPrefix}-${randomUUID()}`,
    object: like?.object ?? object,
    created: like?.created ?? Math.floor(Date.now() / 1000),
    model: like?.model ?? '',
    ...(like?.system_fingerprint !== undefined ? { system_fingerprint: like.system_fingerprint } : {}),
  }
}

const chatChunk = (like: ChatChunk | undefined, choice: ChunkChoice): ChatChunk => ({ ...envelope(like, 'chat.completion.chunk', 'chatcmpl'), choices: [choice] })

const completionChunk = (like: Completion | undefined, choice: CompletionChoice): Completion => ({ ...envelope(like, 'text_completion', 'cmpl'), choices: [choice] })

const role = (first: boolean): { role?: 'assistant' } => (first ? { role: 'assistant' } : {})

type Build<Event> = (like: Event | undefined, index: number, text: string, first: boolean) => Event

/** A choice ended by a guardrail's refusal: the refusal text, then finish_reason content_filter. */
const refusalOf =
  <Event>(text: Build<Event>, finish: Build<Event>) =>
  (like: Event | undefined, index: number, refusal: string, first: boolean): Event[] => [text(like, index, refusal, first), finish(like, index, 'content_filter', false)]

const chatText: Build<ChatChunk> = (like, index, content, first) => chatChunk(like, { index, delta: { ...role(first), content }, finish_reason: null, logprobs: null })
const chatFinish: Build<ChatChunk> = (like, index, reason, first) => chatChunk(like, { index, delta: role(first), finish_reason: reason, logprobs: null })
const completionText: Build<Completion> = (like, index, text) => completionChunk(like, { index, text, finish_reason: null, logprobs: null })
const completionFinish: Build<Completion> = (like, index, reason) => completionChunk(like, { index, text: '', finish_reason: reason, logprobs: null })

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
  text: chatText,
  toolCalls(like, index, calls: readonly HeldCall[], first) {
    // numbered afresh: a removed call must not leave a gap clients would fill with an empty one
    const tool_calls = calls.map((t, i) => ({ index: i, id: t.id, type: 'function' as const, function: { name: t.name, arguments: t.args } }))
    return chatChunk(like, { index, delta: { ...role(first), tool_calls }, finish_reason: null, logprobs: null })
  },
  functionCall: (like, index, call, first) =>
    chatChunk(like, { index, delta: { ...role(first), function_call: { name: call.name, arguments: call.args } }, finish_reason: null, logprobs: null }),
  finish: chatFinish,
  refusal: refusalOf(chatText, chatFinish),
  usage: usageOf,
  carries,
  frame: sseData,
  done: SSE_DONE,
}

export const completionEvents: Events<Completion> = {
  read(ev): ChoiceDelta[] | undefined {
    return choicesOf(ev)?.map((c) => ({ index: typeof c.index === 'number' ? c.index : 0, text: nonEmpty(c.text), finish: nonEmpty(c.finish_reason) }))
  },
  text: completionText,
  finish: completionFinish,
  refusal: refusalOf(completionText, completionFinish),
  usage: usageOf,
  carries,
  frame: sseData,
  done: SSE_DONE,
}
