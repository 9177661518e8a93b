// `on_block: refusal`: instead of a 400, the client gets a normal answer whose
// text is the refusal and whose finish_reason is `content_filter`.
import { randomUUID } from 'node:crypto'
import type { JsonObject } from '../json.ts'
import type { CallType } from './texts.ts'

const ZERO_USAGE = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }

export function refusalAnswer(callType: CallType, model: string, text: string): JsonObject {
  const created = Math.floor(Date.now() / 1000)
  if (callType === 'completion') {
    return { id: `cmpl-refusal-${randomUUID()}`, object: 'text_completion', created, model, choices: [{ index: 0, text, finish_reason: 'content_filter', logprobs: null }], usage: ZERO_USAGE }
  }
  return {
    id: `chatcmpl-refusal-${randomUUID()}`,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'content_filter', logprobs: null }],
    usage: ZERO_USAGE,
  }
}

export async function* refusalStream(callType: CallType, model: string, text: string, includeUsage: boolean): AsyncGenerator<JsonObject> {
  const base = { id: `chatcmpl-refusal-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model }
  if (callType === 'completion') {
    const c = { ...base, object: 'text_completion' }
    yield { ...c, choices: [{ index: 0, text, finish_reason: null, logprobs: null }] }
    yield { ...c, choices: [{ index: 0, text: '', finish_reason: 'content_filter', logprobs: null }] }
    if (includeUsage) yield { ...c, choices: [], usage: ZERO_USAGE }
    return
  }
  const c = { ...base, object: 'chat.completion.chunk' }
  yield { ...c, choices: [{ index: 0, delta: { role: 'assistant', content: text }, finish_reason: null, logprobs: null }] }
  yield { ...c, choices: [{ index: 0, delta: {}, finish_reason: 'content_filter', logprobs: null }] }
  if (includeUsage) yield { ...c, choices: [], usage: ZERO_USAGE }
}

/** A JSON answer whose every choice becomes the refusal. */
export function refuseAnswer(callType: CallType, body: JsonObject, text: string): JsonObject {
  const choices = Array.isArray(body.choices) && body.choices.length > 0 ? (body.choices as JsonObject[]) : [{ index: 0 }]
  return {
    ...body,
    choices: choices.map((c) =>
      callType === 'completion'
        ? { ...c, text, finish_reason: 'content_filter' }
        : { ...c, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'content_filter' },
    ),
  }
}
