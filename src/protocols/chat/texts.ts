// The texts of OpenAI chat, completion and embedding calls, for the guardrail
// engine (which knows no format). One traversal per format visits every text
// of a call in a fixed order; extraction collects them into an indexed list
// and write-back replaces them 1:1 in the same order, so the two can never
// disagree about which text is which.
import type { TextCodec } from '../../guardrails/formats.ts'
import type { GuardText, TextSource } from '../../guardrails/types.ts'
import { isObject, type JsonObject } from '../../json.ts'

/** The calls of the OpenAI family. */
export type OpenAICall = 'chat' | 'completion' | 'embeddings'

/** Returned by a write-back visitor for a tool call that is removed whole. */
const DROP = Symbol('drop')

/** Called for each non-empty text; returns a replacement, undefined to keep it, or DROP (tool calls of answers). */
type Visitor = (text: string, source: TextSource, toolName?: string) => string | undefined | typeof DROP

const ROLE_SOURCE: Readonly<Record<string, TextSource>> = {
  system: 'system',
  developer: 'system',
  user: 'user',
  assistant: 'assistant',
  tool: 'tool_result',
  function: 'tool_result',
}

function visitRequest(callType: OpenAICall, body: JsonObject, visit: Visitor): void {
  if (callType === 'chat') {
    for (const m of asArray(body.messages)) {
      if (!isObject(m)) continue
      const source = ROLE_SOURCE[String(m.role)] ?? 'user'
      visitContent(m, source, visit)
      for (const tc of asArray(m.tool_calls)) visitToolCall(tc, 'tool_call_arguments', visit)
      // the legacy `functions` API: its arguments reach the model like tool-call ones and must not bypass the guardrails
      visitToolCall({ function: m.function_call }, 'tool_call_arguments', visit)
    }
  } else if (callType === 'completion') {
    visitStrings(body, 'prompt', 'prompt', visit)
  } else {
    visitStrings(body, 'input', 'embedding_input', visit)
  }
}

function visitResponse(callType: OpenAICall, body: JsonObject, visit: Visitor): void {
  if (callType === 'embeddings') return
  for (const c of asArray(body.choices)) {
    if (!isObject(c)) continue
    if (callType === 'completion') {
      visitString(c, 'text', 'completion', visit)
      continue
    }
    const m = c.message
    if (!isObject(m)) continue
    visitContent(m, 'completion', visit)
    const calls = asArray(m.tool_calls)
    const kept = calls.filter((tc) => visitToolCall(tc, 'tool_call', visit) !== DROP)
    let dropped = kept.length !== calls.length
    if (dropped) {
      if (kept.length > 0) m.tool_calls = kept
      else delete m.tool_calls
    }
    // legacy `functions` API
    if (visitToolCall({ function: m.function_call }, 'tool_call', visit) === DROP) {
      delete m.function_call
      dropped = true
    }
    if (dropped && m.tool_calls === undefined && m.function_call === undefined) {
      // nothing left to call: the answer ends as a plain one
      if (c.finish_reason === 'tool_calls' || c.finish_reason === 'function_call') c.finish_reason = 'stop'
    }
  }
}

function visitContent(m: JsonObject, source: TextSource, visit: Visitor): void {
  if (typeof m.content === 'string') {
    visitString(m, 'content', source, visit)
    return
  }
  for (const part of asArray(m.content)) {
    if (isObject(part) && part.type === 'text') visitString(part, 'text', source, visit)
  }
}

function visitToolCall(tc: unknown, source: TextSource, visit: Visitor): typeof DROP | undefined {
  if (!isObject(tc) || !isObject(tc.function)) return undefined
  const name = typeof tc.function.name === 'string' ? tc.function.name : undefined
  return visitString(tc.function, 'arguments', source, visit, name)
}

function visitString(obj: JsonObject, key: string, source: TextSource, visit: Visitor, toolName?: string): typeof DROP | undefined {
  const v = obj[key]
  if (typeof v !== 'string' || v === '') return undefined
  const next = visit(v, source, toolName)
  if (next === DROP) return DROP
  if (next !== undefined && next !== v) obj[key] = next
  return undefined
}

/** A field that is a string or an array of strings (token arrays are not text). */
function visitStrings(obj: JsonObject, key: string, source: TextSource, visit: Visitor): void {
  const v = obj[key]
  if (typeof v === 'string') visitString(obj, key, source, visit)
  else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const s: unknown = v[i]
      if (typeof s !== 'string' || s === '') continue
      const next = visit(s, source)
      if (typeof next === 'string') v[i] = next
    }
  }
}

function collect(walk: (visit: Visitor) => void): GuardText[] {
  const out: GuardText[] = []
  walk((text, source, toolName) => {
    out.push(toolName === undefined ? { index: out.length, text, source } : { index: out.length, text, source, toolName })
    return undefined
  })
  return out
}

function apply(walk: (visit: Visitor) => void, texts: readonly GuardText[], drop?: ReadonlySet<number>): void {
  let i = 0
  walk(() => {
    const index = i++
    return drop?.has(index) ? DROP : texts[index]?.text
  })
  if (i !== texts.length) throw new Error(`text write-back visited ${i} texts but ${texts.length} were extracted`)
}

export const extractRequestTexts = (callType: OpenAICall, body: JsonObject): GuardText[] =>
  collect((v) => visitRequest(callType, body, v))

/** Writes (possibly rewritten) texts back into `body`, in place. */
export const applyRequestTexts = (callType: OpenAICall, body: JsonObject, texts: readonly GuardText[]): void =>
  apply((v) => visitRequest(callType, body, v), texts)

export const extractResponseTexts = (callType: OpenAICall, body: JsonObject): GuardText[] =>
  collect((v) => visitResponse(callType, body, v))

/** Writes answer texts back in place; `drop` removes those tool calls (by text index) whole. */
export const applyResponseTexts = (callType: OpenAICall, body: JsonObject, texts: readonly GuardText[], drop?: ReadonlySet<number>): void =>
  apply((v) => visitResponse(callType, body, v), texts, drop)

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : []
}


/** The texts of one kind of OpenAI call, for the guardrail engine. */
export function openAITexts(callType: OpenAICall): TextCodec<JsonObject, JsonObject> {
  return {
    requestTexts: (req) => extractRequestTexts(callType, req),
    applyRequestTexts: (req, texts) => applyRequestTexts(callType, req, texts),
    answerTexts: (answer) => extractResponseTexts(callType, answer),
    applyAnswerTexts: (answer, texts, drop) => applyResponseTexts(callType, answer, texts, drop),
  }
}
