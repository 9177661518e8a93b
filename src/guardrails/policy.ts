// Which guardrails run on a call: every default_on one, every one bound to the
// caller's key, and the optional ones the request asks for. A client can add
// guardrails, never remove a mandatory one: LiteLLM's opt-out fields aimed at
// one answer 403, and an empty `guardrails` list just adds nothing.
import { badRequest, GatewayError } from '../errors.ts'
import { isObject, type JsonObject } from '../json.ts'
import type { GuardrailSpec } from './spec.ts'

/** The request fields (top level or in `metadata`) through which a client asks for guardrails: the gateway's own, never sent upstream. */
export const POLICY_FIELDS: readonly string[] = ['guardrails', 'disable_global_guardrails', 'opted_out_global_guardrails']

export class GuardrailPolicy {
  private readonly specs: readonly GuardrailSpec[]
  private readonly byName: ReadonlyMap<string, GuardrailSpec>
  private readonly defaults: ReadonlySet<string>

  constructor(specs: readonly GuardrailSpec[]) {
    this.specs = specs
    this.byName = new Map(specs.map((s) => [s.name, s]))
    this.defaults = new Set(specs.filter((s) => s.defaultOn).map((s) => s.name))
  }

  get all(): readonly GuardrailSpec[] {
    return this.specs
  }

  get(name: string): GuardrailSpec | undefined {
    return this.byName.get(name)
  }

  /**
   * The guardrails for one call, in config order. `bound` are the names bound
   * to the caller's key (server-side policy).
   */
  resolve(body: JsonObject, bound: readonly string[] = []): GuardrailSpec[] {
    if (this.specs.length === 0 && bound.length === 0 && !hasGuardrailFields(body)) return []
    const metadata = isObject(body.metadata) ? body.metadata : {}
    for (const name of bound) {
      // a key bound to a guardrail this gateway does not have must not run without it
      if (!this.byName.has(name)) {
        throw new GatewayError(503, `guardrail "${name}" is bound to your key but is not configured on this gateway; refusing to run without it`, {
          type: 'service_unavailable',
          code: 'guardrail_unavailable',
        })
      }
    }
    const mandatory = new Set([...this.defaults, ...bound])
    const requested = new Set<string>()
    for (const [where, value] of [['guardrails', body.guardrails], ['metadata.guardrails', metadata.guardrails]] as const) {
      for (const [name, on] of requestedNames(value, where)) {
        if (!this.byName.has(name)) throw unknown(name, where)
        if (on) requested.add(name)
        else if (mandatory.has(name)) throw cannotDisable(name)
      }
    }
    for (const src of [body, metadata]) {
      if (src.disable_global_guardrails === true && mandatory.size > 0) throw cannotDisable([...mandatory][0] as string)
      const optedOut = src.opted_out_global_guardrails
      if (optedOut !== undefined) {
        if (!Array.isArray(optedOut)) throw badRequest('opted_out_global_guardrails must be a list of guardrail names', 'opted_out_global_guardrails')
        for (const name of optedOut) {
          if (typeof name !== 'string' || !this.byName.has(name)) throw unknown(String(name), 'opted_out_global_guardrails')
          if (mandatory.has(name)) throw cannotDisable(name)
        }
      }
    }
    return this.specs.filter((s) => mandatory.has(s.name) || requested.has(s.name))
  }
}

function hasGuardrailFields(body: JsonObject): boolean {
  return body.guardrails !== undefined || (isObject(body.metadata) && body.metadata.guardrails !== undefined)
}

/** `["a","b"]`, or LiteLLM's mapping form `{a: {...}, b: false}`: [name, switched on]. */
function requestedNames(value: unknown, where: string): Array<[string, boolean]> {
  if (value === undefined || value === null) return []
  if (Array.isArray(value)) {
    return value.map((v) => {
      if (typeof v !== 'string') throw badRequest(`${where} must list guardrail names (strings)`, where)
      return [v, true]
    })
  }
  if (isObject(value)) return Object.entries(value).map(([k, v]) => [k, v !== false && v !== null])
  throw badRequest(`${where} must be a list of guardrail names`, where)
}

function unknown(name: string, where: string): GatewayError {
  return new GatewayError(400, `unknown guardrail "${name}" in ${where}; GET /guardrails/list names the configured ones`, {
    param: where,
    code: 'unknown_guardrail',
  })
}

function cannotDisable(name: string): GatewayError {
  return new GatewayError(403, `guardrail "${name}" is mandatory (default_on or bound to your key) and cannot be switched off by a request`, {
    type: 'permission_error',
    code: 'guardrail_mandatory',
  })
}

