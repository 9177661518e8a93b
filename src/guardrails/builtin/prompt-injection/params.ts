// The prompt_injection guardrail's own params.
//   threshold       score at or above which a text is an injection (0 < t ≤ 1, default 0.5)
//   action          block (default) or flag (allow and record)
//   sources         which texts to scan (default: user, tool results, tool-call
//                   arguments and completion prompts; system prompts are trusted)
//   decode_base64   also scan what base64 runs decode to (default true)
import { z } from 'zod'
import { parseParams } from '../../params.ts'
import type { TextSource } from '../../types.ts'

const SOURCES = ['system', 'user', 'assistant', 'tool_call_arguments', 'tool_result', 'prompt', 'embedding_input', 'completion', 'tool_call'] as const satisfies readonly TextSource[]

export const DEFAULT_SOURCES: readonly TextSource[] = ['user', 'tool_result', 'tool_call_arguments', 'prompt']

const num = z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number())
const bool = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean())

const Params = z.object({
  threshold: num.pipe(z.number().gt(0, 'must be above 0').max(1, 'must be at most 1')).default(0.5),
  action: z.enum(['block', 'flag']).default('block'),
  sources: z.array(z.enum(SOURCES)).min(1, 'must name at least one source').default([...DEFAULT_SOURCES]),
  decode_base64: bool.default(true),
})

export interface PromptInjectionOptions {
  threshold: number
  action: 'block' | 'flag'
  sources: ReadonlySet<TextSource>
  decodeBase64: boolean
}

/** Validates the params; a bad one throws ParamError naming its key. */
export function parsePromptInjectionParams(params: Readonly<Record<string, unknown>>): PromptInjectionOptions {
  const p = parseParams(Params, params)
  return { threshold: p.threshold, action: p.action, sources: new Set(p.sources), decodeBase64: p.decode_base64 }
}
