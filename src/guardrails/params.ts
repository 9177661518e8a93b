// Validates a guardrail type's own params with zod and reports the first
// problem as a ParamError naming the litellm_params key, so config errors
// point at the right YAML line.
import type { z } from 'zod'
import { ParamError } from './factory.ts'

export function parseParams<T>(schema: z.ZodType<T>, params: Readonly<Record<string, unknown>>): T {
  const r = schema.safeParse(params)
  if (r.success) return r.data
  const issue = r.error.issues[0]
  const key = issue?.path.map((p) => String(p)).join('.') ?? ''
  throw new ParamError(key || 'guardrail', issue?.message ?? 'invalid params')
}
