// A configured guardrail: the instance plus the policy the engine applies
// around it (modes, default_on, failure and block handling, timeout).
import type { Guardrail, GuardrailMode } from './types.ts'

export interface GuardrailSpec {
  /** guardrail_name */
  name: string
  /** litellm_params.guardrail */
  type: string
  modes: ReadonlySet<GuardrailMode>
  defaultOn: boolean
  /** what a guardrail that could not decide means: fail closed (block) or open (allow, recorded unevaluated) */
  onError: 'block' | 'allow'
  /** how a block is answered: the 400 error, or a 200 refusal with finish_reason content_filter */
  onBlock: 'error' | 'refusal'
  refusalMessage: string
  timeoutMs: number
  guardrail: Guardrail
}
