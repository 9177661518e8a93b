// `on_block: refusal` for chat and legacy completions: instead of the 400, the
// client gets a normal answer whose text is the refusal and whose
// finish_reason is `content_filter` (as OpenAI's own content filter answers).
import { randomUUID } from 'node:crypto'
import type { ChatChunk, ChatCompletion, ChatRequest, Completion, CompletionRequest, Usage } from '../../providers/types.ts'
import type { RefusalAnswers } from '../protocol.ts'

const ZERO_USAGE: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }

const now = (): number => Math.floor(Date.now() / 1000)

export const chatRefusals: RefusalAnswers<ChatRequest, ChatCompletion, ChatChunk> = {
  answer: (req, text) => ({
    id: `chatcmpl-refusal-${randomUUID()}`,
    object: 'chat.completion',
    created: now(),
    model: req.model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'content_filter', logprobs: null }],
    usage: ZERO_USAGE,
  }),

  async *stream(req, text) {
    const c = { id: `chatcmpl-refusal-${randomUUID()}`, object: 'chat.completion.chunk' as const, created: now(), model: req.model }
    yield { ...c, choices: [{ index: 0, delta: { role: 'assistant', content: text }, finish_reason: null, logprobs: null }] }
    yield { ...c, choices: [{ index: 0, delta: {}, finish_reason: 'content_filter', logprobs: null }] }
    if (req.stream_options?.include_usage === true) yield { ...c, choices: [], usage: ZERO_USAGE }
  },

  replace(answer, text) {
    const message = { role: 'assistant' as const, content: text, refusal: null }
    const choices = Array.isArray(answer.choices) && answer.choices.length > 0 ? answer.choices : [{ index: 0 }]
    return { ...answer, choices: choices.map((c) => ({ ...c, message, finish_reason: 'content_filter' })) }
  },
}

export const completionRefusals: RefusalAnswers<CompletionRequest, Completion, Completion> = {
  answer: (req, text) => ({
    id: `cmpl-refusal-${randomUUID()}`,
    object: 'text_completion',
    created: now(),
    model: req.model,
    choices: [{ index: 0, text, finish_reason: 'content_filter', logprobs: null }],
    usage: ZERO_USAGE,
  }),

  async *stream(req, text) {
    const c = { id: `chatcmpl-refusal-${randomUUID()}`, object: 'text_completion' as const, created: now(), model: req.model }
    yield { ...c, choices: [{ index: 0, text, finish_reason: null, logprobs: null }] }
    yield { ...c, choices: [{ index: 0, text: '', finish_reason: 'content_filter', logprobs: null }] }
    if (req.stream_options?.include_usage === true) yield { ...c, choices: [], usage: ZERO_USAGE }
  },

  replace(answer, text) {
    const choices = Array.isArray(answer.choices) && answer.choices.length > 0 ? answer.choices : [{ index: 0 }]
    return { ...answer, choices: choices.map((c) => ({ ...c, text, finish_reason: 'content_filter' })) }
  },
}
