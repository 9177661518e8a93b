// Checks the client's request bodies before anything else runs. Only the
// fields Portcullis relies on are checked; every other field passes through.
import { z } from 'zod'
import { badRequest, GatewayError } from '../../errors.ts'
import type { ChatRequest, CompletionRequest, EmbeddingRequest } from '../../providers/types.ts'

const positiveInt = z.number().int().min(1)
const stop = z.union([z.string(), z.array(z.string()).max(4)]).nullable()
const streamOptions = z.looseObject({ include_usage: z.boolean().optional() }).nullable()

const ContentPart = z.looseObject({ type: z.string() })
const Message = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(ContentPart), z.null()]).optional(),
  tool_calls: z
    .array(z.looseObject({ id: z.string(), type: z.literal('function'), function: z.looseObject({ name: z.string(), arguments: z.string() }) }))
    .optional(),
})

const Common = {
  model: z.string().min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: streamOptions.optional(),
  max_tokens: positiveInt.nullable().optional(),
  n: z.number().int().min(1).max(128).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  stop: stop.optional(),
  user: z.string().optional(),
}

const Chat = z.looseObject({
  ...Common,
  messages: z.array(Message).min(1),
  max_completion_tokens: positiveInt.nullable().optional(),
  tools: z.array(z.looseObject({ type: z.string(), function: z.looseObject({ name: z.string().min(1) }).optional() })).optional(),
})

const tokenArrays = z.union([z.string(), z.array(z.string()), z.array(z.number().int()), z.array(z.array(z.number().int()))])

const CompletionSchema = z.looseObject({ ...Common, prompt: tokenArrays })

const EmbeddingSchema = z.looseObject({
  model: z.string().min(1),
  input: tokenArrays.refine((v) => (Array.isArray(v) ? v.length > 0 : true), 'must not be empty'),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: positiveInt.optional(),
  user: z.string().optional(),
})

function check<T>(schema: z.ZodType, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('the request body must be a JSON object')
  }
  const r = schema.safeParse(body)
  if (r.success) {
    const b = body as { stream?: unknown; stream_options?: unknown }
    if (b.stream_options != null && b.stream !== true) {
      throw badRequest('stream_options is only allowed when stream is true', 'stream_options')
    }
    // The parsed copy would be equivalent; the original keeps unknown fields byte for byte.
    return body as T
  }
  const issue = r.error.issues[0]
  if (!issue) throw badRequest('invalid request body')
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '')
  const missing = issue.code === 'invalid_type' && valueAt(body, issue.path) === undefined
  const detail = missing ? `is required (${issue.code === 'invalid_type' ? issue.expected : ''})` : issue.message
  throw new GatewayError(400, `${path || 'body'}: ${detail}`, { param: path || null, code: 'invalid_request' })
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = body
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined
  return v
}

export const validateChat = (body: unknown): ChatRequest => check<ChatRequest>(Chat, body)
export const validateCompletion = (body: unknown): CompletionRequest => check<CompletionRequest>(CompletionSchema, body)
export const validateEmbedding = (body: unknown): EmbeddingRequest => check<EmbeddingRequest>(EmbeddingSchema, body)
