// How guardrail outcomes reach the client: a block is a 400 naming the
// guardrail (code guardrail_blocked), a guardrail that could not decide and
// fails closed is a 503 (code guardrail_unavailable).
import { GatewayError } from '../errors.ts'
import type { GuardrailMode } from './types.ts'

export class GuardrailBlocked extends GatewayError {
  readonly guardrail: string
  readonly mode: GuardrailMode
  readonly reason: string

  constructor(guardrail: string, mode: GuardrailMode, reason: string, details?: Record<string, unknown>) {
    super(400, `blocked by guardrail "${guardrail}" (${mode}): ${reason}`, {
      type: 'invalid_request_error',
      code: 'guardrail_blocked',
      extra: { guardrail: { name: guardrail, mode, reason, ...(details ? { details } : {}) } },
    })
    this.guardrail = guardrail
    this.mode = mode
    this.reason = reason
  }
}

export class GuardrailUnavailable extends GatewayError {
  constructor(guardrail: string, mode: GuardrailMode, why: string) {
    super(503, `guardrail "${guardrail}" (${mode}) could not decide (${why}) and fails closed`, {
      type: 'service_unavailable',
      code: 'guardrail_unavailable',
      extra: { guardrail: { name: guardrail, mode, reason: why } },
    })
  }
}
