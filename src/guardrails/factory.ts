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
  /** state shared with the other gateway instances (Redis, when REDIS_URL is set); undefined otherwise */
  shared?: SharedState
}

/**
 * A small key-value cache shared between instances: `get` answers a hit with
 * its remaining lifetime, null for a miss, undefined when the store is
 * unavailable; `set` never throws. Every call is bounded by the store.
 */
export interface SharedStore {
  get(key: string): Promise<{ value: string; ttlMs: number } | null | undefined>
  set(key: string, value: string, ttlMs: number): Promise<void>
}

/** What a guardrail may share with the other instances. */
export interface SharedState {
  /** a cache; `op` names its use in the fallback metric */
  cache(op: 'trust_cache'): SharedStore
}

export type GuardrailFactory = (params: Readonly<Record<string, unknown>>, ctx: FactoryContext) => Guardrail | Promise<Guardrail>

/** A guardrail type: how to build one, and what of a request is its own. */
export interface GuardrailType {
  create: GuardrailFactory
  /**
   * Request fields (top level or in `metadata`) that only this type reads,
   * such as hlido's `hlido_slugs`: the gateway never sends them upstream.
   */
  requestFields?: readonly string[]
}

/** litellm_params keys every guardrail type shares (the engine's policy); a type may refuse any other key it does not know */
export const SHARED_PARAM_KEYS: ReadonlySet<string> = new Set([
  'guardrail', 'mode', 'default_on', 'on_error', 'unreachable_fallback', 'on_block', 'refusal_message', 'timeout', 'guardrail_name',
])

/** A bad guardrail param: `key` is the litellm_params key it concerns. */
export class ParamError extends Error {
  readonly key: string
  constructor(key: string, message: string) {
    super(message)
    this.name = 'ParamError'
    this.key = key
  }
}
