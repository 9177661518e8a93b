// Guardrail types by their `litellm_params.guardrail` name. A factory gets the
// guardrail's own params (every key under litellm_params) and returns the
// instance; it throws ParamError for a bad param, naming the key.
import { createContentFilter } from './builtin/content-filter.ts'
import { createLimits } from './builtin/limits.ts'
import { createPromptInjection } from './builtin/prompt-injection.ts'
import { createToolPermission } from './builtin/tool-permission.ts'
import { loadCustomGuardrail } from './custom.ts'
import { createAkto } from './external/akto.ts'
import { createGenericGuardrailApi } from './external/generic-api.ts'
import { createHlido } from './external/hlido.ts'
import { createOpenAIModeration } from './external/openai-moderation.ts'
import { createPresidio } from './external/presidio.ts'
import type { GuardrailFactory } from './factory.ts'

export { ParamError, type FactoryContext, type GuardrailFactory } from './factory.ts'

export const GUARDRAIL_TYPES: Readonly<Record<string, GuardrailFactory>> = {
  custom: loadCustomGuardrail,
  // built in, no service needed
  content_filter: createContentFilter,
  limits: createLimits,
  prompt_injection: createPromptInjection,
  tool_permission: createToolPermission,
  // external services
  akto: createAkto,
  generic_guardrail_api: createGenericGuardrailApi,
  hlido: createHlido,
  agent_trust: createHlido,
  openai_moderation: createOpenAIModeration,
  presidio: createPresidio,
}
