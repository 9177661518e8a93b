// `generic_guardrail_api`: LiteLLM's Generic Guardrail API, so a guardrail
// service written for LiteLLM works unchanged. Each check is one
// `POST {api_base}/beta/litellm_basic_guardrail_api` with the call's texts
// (every text the engine extracted, in order), the chat messages and tool
// definitions for context, who is calling and the call id; the service answers
// `{action: NONE | BLOCKED | GUARDRAIL_INTERVENED, blocked_reason?, texts?}`.
// GUARDRAIL_INTERVENED replaces the texts one for one; a missing list or a
// count mismatch is an `invalid_shape` service error (on_error decides), never a
// silent pass. Calls go through ServiceClient (pool, timeout, breaker, checks).
import { z } from 'zod'
import { ParamError, type GuardrailFactory } from '../factory.ts'
import { parseParams } from '../params.ts'
import type { GuardContext, GuardText, Guardrail, Verdict } from '../types.ts'
import { ServiceClient, ServiceError, checkApiBase } from './service.ts'

export const GENERIC_GUARDRAIL_PATH = '/beta/litellm_basic_guardrail_api'

const MAX_REASON = 500

const num = z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number())

const Params = z.object({
  api_base: z.unknown().optional(),
  api_key: z.string().min(1, 'api_key is empty (an unset environment variable?)').optional(),
  headers: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
  additional_provider_specific_params: z.record(z.string(), z.unknown()).optional(),
  timeout: num.pipe(z.number().positive().max(300)).optional(),
  max_connections: num.pipe(z.number().int().positive().max(1024)).optional(),
})

const Answer = z.object({
  action: z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v), z.enum(['NONE', 'BLOCKED', 'GUARDRAIL_INTERVENED'])),
  blocked_reason: z.string().nullish(),
  texts: z.array(z.string()).nullish(),
})

type GenericAnswer = z.infer<typeof Answer>

/** Headers the HTTP client owns: a config that sets them is refused at start. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'accept'])
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

function headersOf(headers: Record<string, string> | undefined, apiKey: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers ?? {})) {
    const lower = k.toLowerCase()
    if (!TOKEN.test(k)) throw new ParamError(`headers.${k}`, `header name ${JSON.stringify(k)} is not a valid HTTP header name`)
    if (/[\r\n\0]/.test(v)) throw new ParamError(`headers.${k}`, `header ${k} has a line break or NUL in its value`)
    if (RESERVED_HEADERS.has(lower)) throw new ParamError(`headers.${k}`, `header ${k} is set by the gateway and cannot be configured`)
    if (lower in out) throw new ParamError(`headers.${k}`, `header ${k} is set twice (header names are case-insensitive)`)
    out[lower] = v
  }
  if (apiKey) {
    if ('authorization' in out) throw new ParamError('api_key', 'set either api_key or an Authorization header in headers, not both')
    out.authorization = `Bearer ${apiKey}`
  }
  return out
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)

/**
 * Who is calling, from server-trusted caller data (`ctx.caller`, never the
 * client's metadata) — null when unknown; the end user is the request's
 * `user` field. Sent under the contract's short names and LiteLLM's
 * `user_api_key_*` names alike.
 */
export function requestData(ctx: GuardContext): Record<string, string | null> {
  const c = ctx.caller
  const userId = str(c.user_id) ?? str(c.user_api_key_user_id)
  const teamId = str(c.team_id) ?? str(c.user_api_key_team_id)
  const endUserId = str(ctx.request.user)
  return {
    user_api_key_hash: str(c.user_api_key_hash) ?? str(c.key_hash),
    user_api_key_alias: str(c.user_api_key_alias) ?? str(c.key_alias),
    user_id: userId,
    team_id: teamId,
    end_user_id: endUserId,
    user_api_key_user_id: userId,
    user_api_key_team_id: teamId,
    user_api_key_end_user_id: endUserId,
  }
}

/** Image URLs of a chat request's messages (context for the service; they are not rewritten). */
function imagesOf(messages: unknown): string[] {
  const out: string[] = []
  for (const m of Array.isArray(messages) ? messages : []) {
    const content = (m as { content?: unknown } | null)?.content
    if (!Array.isArray(content)) continue
    for (const part of content as Array<{ type?: unknown; image_url?: unknown }>) {
      if (part?.type !== 'image_url') continue
      const url = typeof part.image_url === 'string' ? part.image_url : (part.image_url as { url?: unknown } | null)?.url
      if (typeof url === 'string' && url !== '') out.push(url)
    }
  }
  return out
}

/** The request body of one check. */
export function buildRequest(
  texts: readonly GuardText[],
  ctx: GuardContext,
  inputType: 'request' | 'response',
  additional: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const toolCalls = texts
    .filter((t) => t.source === 'tool_call' || t.source === 'tool_call_arguments')
    .map((t) => ({ type: 'function', function: { name: t.toolName ?? '', arguments: t.text } }))
  const messages = inputType === 'request' && ctx.callType === 'chat' && Array.isArray(ctx.request.messages) ? (ctx.request.messages as unknown[]) : undefined
  const images = messages ? imagesOf(messages) : []
  return {
    texts: texts.map((t) => t.text),
    ...(images.length > 0 ? { images } : {}),
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    ...(ctx.tools && ctx.tools.length > 0 ? { tools: ctx.tools } : {}),
    ...(messages ? { structured_messages: messages } : {}),
    input_type: inputType,
    request_data: requestData(ctx),
    litellm_call_id: ctx.requestId,
    litellm_trace_id: ctx.requestId,
    additional_provider_specific_params: additional,
  }
}

/** The verdict of an answer to a check of `texts`. */
export function verdictOf(answer: GenericAnswer, texts: readonly GuardText[], name = 'generic_guardrail_api'): Verdict {
  switch (answer.action) {
    case 'NONE':
      return { action: 'allow' }
    case 'BLOCKED': {
      const why = answer.blocked_reason?.trim()
      return { action: 'block', reason: why ? why.slice(0, MAX_REASON) : 'blocked by the guardrail service (it gave no reason)' }
    }
    case 'GUARDRAIL_INTERVENED': {
      const out = answer.texts
      if (!out) throw new ServiceError('invalid_shape', `${name}: GUARDRAIL_INTERVENED without texts`)
      if (out.length !== texts.length) {
        throw new ServiceError('invalid_shape', `${name}: GUARDRAIL_INTERVENED returned ${out.length} text(s) for the ${texts.length} sent`)
      }
      const findings = out.flatMap((t, index) => (t === texts[index]?.text ? [] : [{ type: 'guardrail_intervened', index }]))
      if (findings.length === 0) return { action: 'flag', reason: 'the guardrail service intervened but changed no text' }
      return { action: 'rewrite', texts: out, findings, reason: 'modified by the guardrail service' }
    }
  }
}

export const createGenericGuardrailApi: GuardrailFactory = (params, ctx) => {
  // `ctx` is absent when the factory is loaded as a custom module's default export
  const name = ctx.name
  const p = parseParams(Params, params)
  let apiBase = checkApiBase(p.api_base, 'api_base', (m) => ctx.warn?.('api_base', m))
  // LiteLLM accepts the endpoint's full URL as api_base too
  if (apiBase.endsWith(GENERIC_GUARDRAIL_PATH)) apiBase = apiBase.slice(0, -GENERIC_GUARDRAIL_PATH.length) || apiBase
  const headers = headersOf(p.headers, p.api_key)
  const additional = p.additional_provider_specific_params ?? {}
  const client = new ServiceClient({
    name,
    apiBase,
    timeoutMs: (p.timeout ?? 3) * 1000,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(p.max_connections ? { connections: p.max_connections } : {}),
  })
  const run = async (texts: GuardText[], gctx: GuardContext, inputType: 'request' | 'response'): Promise<Verdict> =>
    verdictOf(await client.post(GENERIC_GUARDRAIL_PATH, buildRequest(texts, gctx, inputType, additional), Answer, gctx.signal), texts, name)

  const guardrail: Guardrail = {
    name,
    checkInput: (texts, gctx) => run(texts, gctx, 'request'),
    checkOutput: (texts, gctx) => run(texts, gctx, 'response'),
    close: () => client.close(),
  }
  return guardrail
}
