// The params of the `hlido` (alias `agent_trust`) guardrail. Every choice that
// has only a few valid values is an enum: a typo is a start-up error naming the
// key, never a silent fallback to allow.
import { z } from 'zod'
import { ParamError } from '../../factory.ts'

export const TIERS = ['VITAL', 'STEADY', 'FADING', 'FLATLINE'] as const
export type Tier = (typeof TIERS)[number]

const num = z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number())
const bool = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean())
const action = z.enum(['allow', 'block'])
const tier = z.preprocess((v) => (typeof v === 'string' ? v.trim().toUpperCase() : v), z.enum(TIERS))
const list = <T extends z.ZodType>(item: T) => z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(item))

export const HlidoParams = z.object({
  api_base: z.string().optional(),
  api_key: z.string().min(1).optional(),
  /** agents every call through this guardrail is for (server-side, trusted) */
  slugs: list(z.string()).optional(),
  min_score: num.pipe(z.number().min(0).max(100)).optional(),
  allowed_tiers: list(tier).pipe(z.array(z.enum(TIERS)).min(1, 'allowed_tiers needs at least one tier')).optional(),
  on_unverified: action.default('allow'),
  on_missing_subject: action.default('block'),
  // validated by the common params too; repeated so this type stands alone (custom modules, unit tests)
  on_error: action.optional(),
  trust_request_slugs: bool.default(false),
  max_request_slugs: num.pipe(z.number().int().min(1).max(1000)).default(20),
  /** seconds */
  cache_ttl: num.pipe(z.number().positive().max(7 * 24 * 3600)).default(300),
  cache_size: num.pipe(z.number().int().min(1).max(1_000_000)).default(10_000),
  /** seconds, per lookup */
  timeout: num.pipe(z.number().positive().max(300)).optional(),
})

export type HlidoParams = z.infer<typeof HlidoParams>

/** Like parseParams, but the message names the key too (a custom module's factory error only keeps the message). */
export function parseHlidoParams(params: Readonly<Record<string, unknown>>): HlidoParams {
  const r = HlidoParams.safeParse(params)
  if (r.success) return r.data
  const issue = r.error.issues[0]
  const key = issue?.path.map((p) => String(p)).join('.') || 'guardrail'
  throw new ParamError(key, `${key}: ${issue?.message ?? 'invalid value'}`)
}

/** The tier of a score when the answer has none. */
export function tierOf(score: number): Tier {
  return score >= 90 ? 'VITAL' : score >= 70 ? 'STEADY' : score >= 40 ? 'FADING' : 'FLATLINE'
}
