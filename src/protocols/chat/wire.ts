// What the OpenAI family of calls shares on the wire: the error shape
// (`{"error":{message,type,param,code}}`, also inside a failed stream, where
// the OpenAI SDKs raise it as an APIError), SSE framing (`data: <json>`, then
// `data: [DONE]`) and the usage object.
import type { GatewayError } from '../../errors.ts'
import { isObject } from '../../json.ts'
import type { ErrorAnswers, TokenUsage } from '../protocol.ts'

export const openAIErrors: ErrorAnswers = {
  errorBody: (err: GatewayError) => err.toBody(),
  streamError: (err: GatewayError) => sseData(err.toBody()),
}

export const sseData = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`

export const SSE_DONE = 'data: [DONE]\n\n'

/** `{prompt_tokens, completion_tokens}` (embeddings have no completion tokens). */
export function openAIUsage(usage: unknown): TokenUsage | undefined {
  if (!isObject(usage)) return undefined
  return {
    prompt: typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : 0,
    completion: typeof usage.completion_tokens === 'number' ? usage.completion_tokens : 0,
  }
}
