// Guardrail types by their `litellm_params.guardrail` name. A factory gets the
// guardrail's own params (every key under litellm_params) and returns the
// instance; it throws ParamError for a bad param, naming the key.
import type { Guardrail } from './types.ts'
import { loadCustomGuardrail } from './custom.ts'

export interface FactoryContext {
  /** guardrail_name */
  name: string
  /** the config file's folder: relative module and word-list paths resolve against it */
  configDir: string
}

export type GuardrailFactory = (params: Readonly<Record<string, unknown>>, ctx: FactoryContext) => Guardrail | Promise<Guardrail>

/** A bad guardrail param: `key` is the litellm_params key it concerns. */
export class ParamError extends Error {
  readonly key: string
  constructor(key: string, message: string) {
    super(message)
    this.name = 'ParamError'
    this.key = key
  }
}

export const GUARDRAIL_TYPES: Readonly<Record<string, GuardrailFactory>> = {
  custom: loadCustomGuardrail,
}
