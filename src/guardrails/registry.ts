// Guardrail types by their `litellm_params.guardrail` name. A factory gets the
// guardrail's own params (every key under litellm_params) and returns the
// instance; it throws ParamError for a bad param, naming the key.
import { createLimits } from './builtin/limits.ts'
import { createToolPermission } from './builtin/tool-permission.ts'
import { loadCustomGuardrail } from './custom.ts'
import type { GuardrailFactory } from './factory.ts'

export { ParamError, type FactoryContext, type GuardrailFactory } from './factory.ts'

export const GUARDRAIL_TYPES: Readonly<Record<string, GuardrailFactory>> = {
  custom: loadCustomGuardrail,
  limits: createLimits,
  tool_permission: createToolPermission,
}
