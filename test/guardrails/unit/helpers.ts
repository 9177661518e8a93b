// Scaffolding of the guardrail unit tests: specs and call info built by hand,
// decision collectors, small timing helpers.
import type { CallInfo } from '../../../src/guardrails/engine.ts'
import type { GuardrailSpec } from '../../../src/guardrails/spec.ts'
import type { Decision, GuardContext, Guardrail, GuardrailMode, GuardText, Verdict } from '../../../src/guardrails/types.ts'

/** A configured guardrail: defaults are post_call, fail closed, error on block, 1 s timeout. */
export function spec(guardrail: Guardrail, opts: Partial<Omit<GuardrailSpec, 'guardrail' | 'name'>> = {}): GuardrailSpec {
  return {
    name: guardrail.name ?? 'guardrail',
    type: 'custom',
    modes: new Set<GuardrailMode>(['post_call']),
    defaultOn: false,
    onError: 'block',
    onBlock: 'error',
    refusalMessage: 'Sorry, I cannot answer that.',
    timeoutMs: 1000,
    ...opts,
    guardrail,
  }
}

/** What the engine needs of a call besides the mode. */
export function callInfo(signal: AbortSignal = new AbortController().signal): CallInfo {
  return { requestId: 'req-1', model: 'gpt', callType: 'chat', caller: {}, requestMetadata: {}, request: {}, signal }
}

/** What a guardrail's check gets: callInfo() in pre_call, with `over` on top. */
export function guardContext(over: Partial<GuardContext> = {}): GuardContext {
  return { ...callInfo(), mode: 'pre_call', ...over }
}

/** A decision sink that keeps what it got. */
export function recorder(): { decisions: Decision[]; sink: (d: Decision) => void } {
  const decisions: Decision[] = []
  return { decisions, sink: (d) => decisions.push(d) }
}

export const texts = (...ts: string[]): GuardText[] => ts.map((text, index) => ({ index, text, source: 'user' }))

/** A guardrail that rewrites every text with `fn` (in both directions). */
export function rewriter(name: string, fn: (text: string, t: GuardText) => string, seen?: string[][]): Guardrail {
  const check = async (ts: GuardText[]): Promise<Verdict> => {
    seen?.push(ts.map((t) => t.text))
    const out = ts.map((t) => fn(t.text, t))
    return out.some((s, i) => s !== ts[i]?.text) ? { action: 'rewrite', texts: out, findings: [{ type: 'masked', index: 0 }] } : { action: 'allow' }
  }
  return { name, checkInput: check, checkOutput: check }
}

/** A guardrail that blocks when any text contains `word`. */
export function blocker(name: string, word: string): Guardrail {
  const check = async (ts: GuardText[]): Promise<Verdict> =>
    ts.some((t) => t.text.includes(word)) ? { action: 'block', reason: `contains ${word}`, findings: [{ type: 'word', index: 0 }] } : { action: 'allow' }
  return { name, checkInput: check, checkOutput: check }
}

/** Fails unless `p` settles within `ms` (a bound on "it did not hang", not a precise timing). */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([p, limit])
  } finally {
    clearTimeout(timer)
  }
}

/** A small deterministic PRNG (mulberry32) so failures can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
