// `akto`: Akto's guardrails service, speaking the contract of Akto's LiteLLM
// hook. Request check: `POST {api_base}/api/validate/request` with
// `{"payload": JSON.stringify({query, model}), "call_type"}`, the query being
// every text of the call joined with "\n"; answer check: `POST
// {api_base}/api/validate/response` with `{"payload": <answer texts joined>}`.
// The service answers `{Allowed, Reason, Modified, ModifiedPayload}` (or the
// camelCase keys): not allowed blocks with the service's reason; a non-empty
// ModifiedPayload is mapped back onto the texts it came from, or the answer is
// an error (on_error decides) — never a silent pass. Everything the review of
// the original hook asked for comes from ServiceClient: a pooled client with a
// connection cap, a short timeout (3 s by default), content type and JSON
// checked before use, named error kinds, a circuit breaker, and the URL
// checked at start.
import { z } from 'zod'
import type { GuardrailFactory } from '../factory.ts'
import { parseParams } from '../params.ts'
import type { CallType, GuardContext, GuardText, Guardrail, Verdict } from '../types.ts'
import { ServiceClient, ServiceError, checkApiBase } from './service.ts'

/** Akto's (LiteLLM's) names of the call types. */
const CALL_TYPES: Readonly<Record<CallType, string>> = {
  chat: 'completion',
  completion: 'text_completion',
  embeddings: 'embeddings',
}

const JOINER = '\n'
const MAX_REASON = 500

const num = z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number())

const Params = z.object({
  api_base: z.unknown().optional(),
  api_key: z.string().min(1, 'api_key is empty (an unset environment variable?)').optional(),
  timeout: num.pipe(z.number().positive().max(300)).optional(),
  call_type: z.string().min(1).optional(),
  max_connections: num.pipe(z.number().int().positive().max(1024)).optional(),
})

const Answer = z
  .object({
    Allowed: z.boolean().optional(),
    allowed: z.boolean().optional(),
    Reason: z.string().nullish(),
    reason: z.string().nullish(),
    Modified: z.boolean().nullish(),
    modified: z.boolean().nullish(),
    ModifiedPayload: z.string().nullish(),
    modifiedPayload: z.string().nullish(),
  })
  .refine((a) => a.Allowed !== undefined || a.allowed !== undefined, { message: 'the answer has neither Allowed nor allowed', path: ['Allowed'] })

type AktoAnswer = z.infer<typeof Answer>

/** The answer with its key casing folded: both casings are accepted, and `false` wins if they disagree. */
export function readAnswer(a: AktoAnswer): { allowed: boolean; reason: string; modifiedPayload: string } {
  return {
    allowed: a.Allowed !== false && a.allowed !== false,
    reason: (a.Reason || a.reason || '').trim(),
    modifiedPayload: a.ModifiedPayload || a.modifiedPayload || '',
  }
}

/** The request check's `payload`: the JSON string of `{query, model}`. */
export function requestPayload(texts: readonly GuardText[], model: string): string {
  return JSON.stringify({ query: texts.map((t) => t.text).join(JOINER), model })
}

/**
 * Maps Akto's one joined ModifiedPayload back onto the texts it was joined
 * from. One text takes the whole payload. Several texts: each text kept its
 * own lines in the joined query, so a payload with as many lines as the query
 * is split back at the same places; any other line count cannot be mapped and
 * throws (an `invalid_shape` service error: on_error decides, nothing passes
 * unchecked). On the request side the payload may also come back in the form it
 * was sent, the JSON of `{query, model}`: its query is used then.
 */
export function mapModifiedPayload(payload: string, texts: readonly string[], direction: 'request' | 'response', name = 'akto'): string[] {
  let p = payload
  if (direction === 'request') p = unwrapQuery(p) ?? p
  if (texts.length === 1) return [p]
  const lines = p.split(JOINER)
  const counts = texts.map((t) => t.split(JOINER).length)
  const total = counts.reduce((a, b) => a + b, 0)
  if (lines.length !== total) {
    throw new ServiceError(
      'invalid_shape',
      `${name}: ModifiedPayload has ${lines.length} line(s) where the ${texts.length} texts sent had ${total}; it cannot be mapped back onto them`,
    )
  }
  const out: string[] = []
  let at = 0
  for (const n of counts) {
    out.push(lines.slice(at, at + n).join(JOINER))
    at += n
  }
  return out
}

/** The query of a payload that is the JSON of `{query, model?}`, else undefined. */
function unwrapQuery(payload: string): string | undefined {
  if (!payload.trimStart().startsWith('{')) return undefined
  let j: unknown
  try {
    j = JSON.parse(payload)
  } catch {
    return undefined
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) return undefined
  const o = j as Record<string, unknown>
  if (typeof o.query !== 'string' || !Object.keys(o).every((k) => k === 'query' || k === 'model')) return undefined
  return o.query
}

export const createAkto: GuardrailFactory = (params, ctx) => {
  // `ctx` is absent when the factory is loaded as a custom module's default export
  const name = ctx.name
  const p = parseParams(Params, params)
  const apiBase = checkApiBase(p.api_base, 'api_base', (m) => ctx.warn?.('api_base', m))
  const client = new ServiceClient({
    name,
    apiBase,
    timeoutMs: (p.timeout ?? 3) * 1000,
    ...(p.api_key ? { headers: { authorization: `Bearer ${p.api_key}` } } : {}),
    ...(p.max_connections ? { connections: p.max_connections } : {}),
  })

  const verdictOf = (answer: AktoAnswer, texts: GuardText[], direction: 'request' | 'response'): Verdict => {
    const a = readAnswer(answer)
    if (!a.allowed) {
      const why = a.reason ? a.reason.slice(0, MAX_REASON) : `the Akto guardrails service did not allow the ${direction} (it gave no reason)`
      return { action: 'block', reason: why, code: 'GUARDRAILS_BLOCKED' }
    }
    if (a.modifiedPayload === '') return { action: 'allow' }
    const before = texts.map((t) => t.text)
    const after = mapModifiedPayload(a.modifiedPayload, before, direction, name)
    if (after.every((t, i) => t === before[i])) return { action: 'allow' }
    return {
      action: 'rewrite',
      texts: after,
      reason: a.reason ? `modified by Akto: ${a.reason.slice(0, MAX_REASON)}` : 'modified by Akto',
      findings: after.flatMap((t, index) => (t === before[index] ? [] : [{ type: 'akto_modified', index }])),
    }
  }

  const guardrail: Guardrail = {
    name,
    async checkInput(texts, gctx) {
      const body = { payload: requestPayload(texts, gctx.model), call_type: p.call_type ?? CALL_TYPES[gctx.callType] }
      return verdictOf(await client.post('/api/validate/request', body, Answer, gctx.signal), texts, 'request')
    },
    async checkOutput(texts, gctx) {
      const body = { payload: texts.map((t) => t.text).join(JOINER) }
      return verdictOf(await client.post('/api/validate/response', body, Answer, gctx.signal), texts, 'response')
    },
    close: () => client.close(),
  }
  return guardrail
}
