// Guardrail types by their `litellm_params.guardrail` name. A type's factory
// gets the guardrail's own params (every key under litellm_params) and returns
// the instance; it throws ParamError for a bad param, naming the key.
import { createContentFilter } from './builtin/content-filter.ts'
import { createLimits } from './builtin/limits.ts'
import { createPromptInjection } from './builtin/prompt-injection.ts'
import { createToolPermission } from './builtin/tool-permission.ts'
import { loadCustomGuardrail } from './custom.ts'
import { createAkto } from './external/akto.ts'
import { createGenericGuardrailApi } from './external/generic-api.ts'
import { hlidoType } from './external/hlido.ts'
import { createOpenAIModeration } from './external/openai-moderation.ts'
import { createPresidio } from './external/presidio.ts'
import type { GuardrailType } from './factory.ts'

export const GUARDRAIL_TYPES: Readonly<Record<string, GuardrailType>> = {
  custom: { create: loadCustomGuardrail },
  // built in, no service needed
  content_filter: { create: createContentFilter },
  limits: { create: createLimits },
  prompt_injection: { create: createPromptInjection },
  tool_permission: { create: createToolPermission },
  // external services
  akto: { create: createAkto },
  generic_guardrail_api: { create: createGenericGuardrailApi },
  hlido: hlidoType,
  agent_trust: hlidoType,
  openai_moderation: { create: createOpenAIModeration },
  presidio: { create: createPresidio },
}

/** Every request field some guardrail type owns, whether or not this config uses the type: none reaches an upstream. */
export const GUARDRAIL_REQUEST_FIELDS: readonly string[] = [...new Set(Object.values(GUARDRAIL_TYPES).flatMap((t) => t.requestFields ?? []))]
