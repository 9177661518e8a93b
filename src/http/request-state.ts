// What the HTTP layer keeps about one request while serving it: set when it
// arrives (route, caller), filled in by the handler and the gateway (model,
// deployment, the call's trace), read when it ends (log line, metrics, the
// call's record) and by the error handler (headers, shape of the error).
import type { Caller } from '../auth/master-key.ts'
import { newTrace, type CallTrace } from '../gateway/trace.ts'
import type { AnyProtocol } from '../protocols/protocol.ts'

export interface RequestState {
  route: string
  /** the inbound protocol of a model call (undefined on admin and ops routes): its calls are recorded, its errors take its shape */
  protocol: AnyProtocol | undefined
  model: string
  deployment: string | undefined
  attempts: number
  stream: boolean
  started: number
  /** wall-clock start, for the record */
  startedAt: number
  /** guardrails that ran and their decisions, filled in by the gateway */
  trace: CallTrace
  /** set by authentication */
  caller: Caller | undefined
  /** the request body, for the record when store_prompts is on */
  body: unknown
  /** the call's record was appended (exactly once) */
  recorded: boolean
}

declare module 'fastify' {
  interface FastifyRequest {
    portcullis: RequestState | null
  }
}

export function newRequestState(route: string, protocol?: AnyProtocol): RequestState {
  return {
    route,
    protocol,
    model: 'unknown',
    deployment: undefined,
    attempts: 0,
    stream: false,
    started: performance.now(),
    startedAt: Date.now(),
    trace: newTrace(),
    caller: undefined,
    body: undefined,
    recorded: false,
  }
}

/** Names every guardrail that ran, whatever its mode, under our name and LiteLLM's. */
export function guardrailHeaders(trace: CallTrace): Record<string, string> {
  if (trace.guardrails.length === 0) return {}
  const names = trace.guardrails.join(',')
  return { 'x-portcullis-applied-guardrails': names, 'x-litellm-applied-guardrails': names }
}
