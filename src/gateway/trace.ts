// What one call leaves behind besides its answer: the guardrails that ran and
// their decisions, its tokens and spend, and (for the record, when prompts are
// kept) what the client got. The gateway fills it in as the call runs; the
// HTTP layer reads it for headers and the log line, the record for the store.
import type { Decision } from '../guardrails/types.ts'

export interface CallTrace {
  guardrails: string[]
  decisions: Decision[]
  /** tokens of the call: the upstream's usage, or counted when a stream reports none */
  usage: { prompt: number; completion: number } | undefined
  /** usage × the deployment's per-token costs */
  spend: number
  /** what the client got (JSON body, or the streamed texts), kept only if store_prompts is on */
  answer: unknown
}

export function newTrace(): CallTrace {
  return { guardrails: [], decisions: [], usage: undefined, spend: 0, answer: undefined }
}

/** A decision as logs and call records show it: what was decided and why, never the texts. */
export interface DecisionSummary {
  name: string
  mode: string
  action: string
  reason?: string
  /** why a guardrail could not decide (timeout, error, invalid_verdict, a service's failure kind) */
  error?: string
  findings: number
  ms: number
}

export function summarize(d: Decision): DecisionSummary {
  return {
    name: d.guardrail,
    mode: d.mode,
    action: d.action,
    ...(d.reason ? { reason: d.reason } : {}),
    ...(d.error ? { error: d.error } : {}),
    findings: d.findings,
    ms: Math.round(d.ms * 100) / 100,
  }
}
