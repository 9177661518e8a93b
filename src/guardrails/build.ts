// Turns the config's `guardrails:` entries into GuardrailSpecs: the policy
// params every guardrail shares are validated here, the rest go to the type's
// factory. All problems are collected and reported with their YAML paths.
import { z } from 'zod'
import { ConfigError, formatPath, type ConfigIssue, type GatewayConfig } from '../config/load.ts'
import { ParamError, type SharedState } from './factory.ts'
import { GUARDRAIL_TYPES } from './registry.ts'
import type { GuardrailSpec } from './spec.ts'
import type { GuardrailMode } from './types.ts'

const DEFAULT_REFUSAL = 'I can’t help with that: the request or its answer was blocked by a content policy.'

const num = z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number())

/** The params every guardrail type shares; the rest belong to the type. */
const CommonParams = z.object({
  on_error: z.enum(['block', 'allow']).optional(),
  // LiteLLM's Generic Guardrail API spelling of the same policy
  unreachable_fallback: z.enum(['fail_closed', 'fail_open']).optional(),
  on_block: z.enum(['error', 'refusal']).optional(),
  refusal_message: z.string().min(1).optional(),
  timeout: num.pipe(z.number().positive().max(300)).optional(),
})


type LineOf = (path: (string | number)[]) => number | undefined

/** `shared`: state shared with the other instances (Redis), handed to the factories. */
export async function buildGuardrails(
  config: GatewayConfig,
  lineOf: LineOf = () => undefined,
  warnings: ConfigIssue[] = [],
  shared?: SharedState,
): Promise<GuardrailSpec[]> {
  const issues: ConfigIssue[] = []
  const issue = (path: (string | number)[], message: string): void => {
    issues.push({ path: formatPath(path), message, line: lineOf(path) })
  }
  const names = new Set<string>()
  const specs: GuardrailSpec[] = []
  for (const [i, entry] of config.guardrails.entries()) {
    const base = ['guardrails', i, 'litellm_params']
    const p = entry.litellm_params
    if (names.has(entry.guardrail_name)) issue(['guardrails', i, 'guardrail_name'], `duplicate guardrail_name "${entry.guardrail_name}"`)
    names.add(entry.guardrail_name)
    const type = GUARDRAIL_TYPES[p.guardrail]
    if (!type) {
      issue([...base, 'guardrail'], `unknown guardrail type "${p.guardrail}"; available: ${Object.keys(GUARDRAIL_TYPES).join(', ')}`)
      continue
    }
    const common = CommonParams.safeParse(p)
    if (!common.success) {
      for (const zi of common.error.issues) issue([...base, ...zi.path.map((k) => (typeof k === 'symbol' ? String(k) : k))], zi.message)
      continue
    }
    const c = common.data
    try {
      const warn = (key: string, message: string): void => {
        warnings.push({ path: formatPath([...base, key]), message, line: lineOf([...base, key]) })
      }
      const guardrail = await type.create(p, { name: entry.guardrail_name, configDir: config.dir, warn, ...(shared ? { shared } : {}) })
      guardrail.name = entry.guardrail_name
      specs.push({
        name: entry.guardrail_name,
        type: p.guardrail,
        modes: new Set<GuardrailMode>(Array.isArray(p.mode) ? p.mode : [p.mode]),
        defaultOn: p.default_on === true,
        onError: c.on_error ?? (c.unreachable_fallback === 'fail_open' ? 'allow' : 'block'),
        onBlock: c.on_block ?? 'error',
        refusalMessage: c.refusal_message ?? DEFAULT_REFUSAL,
        timeoutMs: (c.timeout ?? 5) * 1000,
        guardrail,
      })
    } catch (err) {
      if (err instanceof ParamError) issue([...base, err.key], err.message)
      else issue(base, `could not be set up: ${(err as Error).message}`)
    }
  }
  if (issues.length > 0) throw new ConfigError(config.file, issues)
  return specs
}
