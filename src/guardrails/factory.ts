// What a guardrail type provides: a factory from its params to an instance.
// Kept apart from the registry so guardrail modules can import it without an
// import cycle through the registry that imports them.
import type { Guardrail } from './types.ts'

export interface FactoryContext {
  /** guardrail_name */
  name: string
  /** the config file's folder: relative module and word-list paths resolve against it */
  configDir: string
  /** a start-up warning about a param (printed by `check` and `serve`), for what works but is risky */
  warn?: (key: string, message: string) => void
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
