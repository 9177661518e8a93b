// Runs guardrails offline over labelled cases and scores them: a case is
// positive when it expects block or mask; a guardrail detects it when it
// answers anything but allow. Precision, recall and F1 are over detection;
// `wrongAction` counts detections with the other action (mask for block).
import { check } from '../guardrails/engine.ts'
import type { GuardrailSpec } from '../guardrails/spec.ts'
import type { Verdict } from '../guardrails/types.ts'
import type { EvalCase, Expectation } from './cases.ts'

export interface Miss {
  where: string
  text: string
  expected: Expectation
  got: Expectation
  reason?: string
}

export interface GuardrailScore {
  guardrail: string
  cases: number
  tp: number
  fp: number
  fn: number
  tn: number
  wrongAction: number
  precision: number
  recall: number
  f1: number
  /** share of benign cases flagged */
  falsePositiveRate: number
  p50Us: number
  p99Us: number
  /** microseconds per KB of text checked */
  usPerKb: number
  misses: Miss[]
}

const toExpectation = (v: Verdict): Expectation => (v.action === 'block' ? 'block' : v.action === 'rewrite' || v.action === 'flag' ? 'mask' : 'allow')

export async function evaluate(
  spec: GuardrailSpec,
  cases: readonly EvalCase[],
  onProgress?: (done: number, total: number) => void,
): Promise<GuardrailScore> {
  const mine = cases.filter((c) => c.guardrail === undefined || c.guardrail === spec.name)
  const direction = spec.guardrail.checkInput ? 'input' : 'output'
  const times: number[] = []
  let bytes = 0
  let tp = 0
  let fp = 0
  let fn = 0
  let tn = 0
  let wrongAction = 0
  const misses: Miss[] = []
  const call = { requestId: 'eval', model: 'eval', callType: 'chat' as const, caller: {}, requestMetadata: {}, request: {}, signal: new AbortController().signal }
  // an untimed pass first: the figures are the steady state, not the JIT's first calls
  for (const c of mine.slice(0, 50)) {
    await check(spec, direction, 'pre_call', [{ index: 0, text: c.text, source: direction === 'input' ? 'user' : 'completion' }], call, () => {}).catch(() => {})
  }
  for (const [i, c] of mine.entries()) {
    let reason: string | undefined
    const started = performance.now()
    let verdict: Verdict
    try {
      verdict = await check(spec, direction, 'pre_call', [{ index: 0, text: c.text, source: direction === 'input' ? 'user' : 'completion' }], call, () => {})
    } catch (err) {
      verdict = { action: 'block', reason: `unavailable: ${(err as Error).message}` }
    }
    times.push(performance.now() - started)
    bytes += Buffer.byteLength(c.text)
    if (verdict.action !== 'allow') reason = verdict.reason
    const got = toExpectation(verdict)
    const positive = c.expect !== 'allow'
    const detected = got !== 'allow'
    if (positive && detected) {
      tp++
      // flag counts as a detection of either kind; only block-vs-mask mix-ups are wrong
      if (verdict.action !== 'flag' && got !== c.expect) {
        wrongAction++
        misses.push({ where: c.where, text: c.text, expected: c.expect, got, ...(reason ? { reason } : {}) })
      }
    } else if (positive) {
      fn++
      misses.push({ where: c.where, text: c.text, expected: c.expect, got })
    } else if (detected) {
      fp++
      misses.push({ where: c.where, text: c.text, expected: c.expect, got, ...(reason ? { reason } : {}) })
    } else tn++
    onProgress?.(i + 1, mine.length)
  }
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp)
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn)
  const sorted = [...times].sort((a, b) => a - b)
  const pct = (p: number): number => (sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number) * 1000)
  const totalMs = times.reduce((a, b) => a + b, 0)
  return {
    guardrail: spec.name,
    cases: mine.length,
    tp,
    fp,
    fn,
    tn,
    wrongAction,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    falsePositiveRate: fp + tn === 0 ? 0 : fp / (fp + tn),
    p50Us: pct(0.5),
    p99Us: pct(0.99),
    usPerKb: bytes === 0 ? 0 : (totalMs * 1000) / (bytes / 1024),
    misses,
  }
}
