// Runs guardrails: one check with its timeout and failure policy, or a chain in
// config order where each sees the previous one's rewrite. A guardrail that
// throws, hangs or answers nonsense never passes silently: with on_error block
// the call fails closed (503), with allow it goes on and the decision says
// `unevaluated`.
import { GuardrailUnavailable } from './errors.ts'
import type { GuardrailSpec } from './spec.ts'
import type { Decision, Finding, GuardContext, GuardText, GuardrailMode, Verdict } from './types.ts'
import { isObject } from '../json.ts'

export type Direction = 'input' | 'output'

/** Everything of a GuardContext but what the engine sets per check. */
export type CallInfo = Omit<GuardContext, 'mode' | 'signal'> & { signal: AbortSignal }

export interface BlockInfo {
  spec: GuardrailSpec
  mode: GuardrailMode
  reason: string
  details: Record<string, unknown> | undefined
}

export interface ChainResult {
  texts: GuardText[]
  /** set when a guardrail blocked; later guardrails did not run */
  block: BlockInfo | undefined
  /** true when some guardrail rewrote a text, set params or dropped a tool call */
  rewritten: boolean
  /** request fields to set (pre_call), merged over the chain; null deletes */
  params: Record<string, unknown> | undefined
  /** indices of tool-call texts whose tool call is removed */
  drop: ReadonlySet<number>
}

/** Receives every decision (for logs, metrics and the record of the call). */
export type DecisionSink = (d: Decision) => void

class InvalidVerdict extends Error {}

/** Runs `specs` in order on `texts`. Throws GuardrailUnavailable when one fails closed. */
export async function runChain(
  specs: readonly GuardrailSpec[],
  direction: Direction,
  mode: GuardrailMode,
  texts: GuardText[],
  call: CallInfo,
  sink: DecisionSink,
): Promise<ChainResult> {
  let current = texts
  let rewritten = false
  let params: Record<string, unknown> | undefined
  const drop = new Set<number>()
  for (const spec of specs) {
    // later guardrails see the request as the earlier ones left it
    const request = params ? { ...call.request, ...params } : call.request
    const verdict = await check(spec, direction, mode, current, request === call.request ? call : { ...call, request }, sink)
    if (verdict.action === 'rewrite') {
      current = current.map((t, i) => (t.text === verdict.texts[i] ? t : { ...t, text: verdict.texts[i] as string }))
      rewritten = true
      if (verdict.params) params = { ...params, ...verdict.params }
      for (const i of verdict.drop ?? []) drop.add(i)
    } else if (verdict.action === 'block') {
      return { texts: current, block: { spec, mode, reason: verdict.reason, details: verdict.details }, rewritten, params, drop }
    }
  }
  return { texts: current, block: undefined, rewritten, params, drop }
}

/**
 * One guardrail, one check. Returns its verdict (an unevaluated allow when it
 * failed open) and records the decision; throws GuardrailUnavailable when it
 * failed closed.
 */
export async function check(
  spec: GuardrailSpec,
  direction: Direction,
  mode: GuardrailMode,
  texts: GuardText[],
  call: CallInfo,
  sink: DecisionSink,
): Promise<Verdict> {
  const fn = direction === 'input' ? spec.guardrail.checkInput : spec.guardrail.checkOutput
  if (!fn || texts.length === 0) return { action: 'allow' }
  return guarded(spec, mode, call, sink, texts.length, (ctx) => fn.call(spec.guardrail, texts, ctx))
}

/**
 * Runs guardrail code under its timeout and failure policy and validates what
 * it answers (`count`: how many texts a rewrite must return). Modes that cannot
 * change anything (during_call, logging_only) record a rewrite as a flag.
 */
export async function guarded(
  spec: GuardrailSpec,
  mode: GuardrailMode,
  call: CallInfo,
  sink: DecisionSink,
  count: number,
  run: (ctx: GuardContext) => Verdict | Promise<Verdict>,
): Promise<Verdict> {
  const started = performance.now()
  const ac = new AbortController()
  const onAbort = (): void => ac.abort()
  // 'abort' never fires for a signal that is already aborted: a call abandoned
  // before this check started must still hand the guardrail an aborted signal.
  if (call.signal.aborted) ac.abort()
  let timer: NodeJS.Timeout | undefined
  let listening = false
  try {
    const ctx: GuardContext = { ...call, mode, signal: ac.signal }
    const out = run(ctx)
    // A verdict returned synchronously (the built-ins) is already there: no
    // timeout could have interrupted it, so none is armed (a timer, a race and
    // two listeners per check were a visible share of the built-ins' cost).
    let answer: Verdict
    if (isThenable(out)) {
      call.signal.addEventListener('abort', onAbort, { once: true })
      listening = true
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          ac.abort()
          reject(new TimeoutError())
        }, spec.timeoutMs)
      })
      answer = await Promise.race([out, timeout])
    } else answer = out
    let verdict = validate(answer, count)
    if (verdict.action === 'rewrite' && (mode === 'during_call' || mode === 'logging_only')) {
      verdict = { action: 'flag', reason: `rewrite ignored: ${mode} can only block or record`, findings: verdict.findings ?? [] }
    }
    sink(decisionOf(spec.name, mode, verdict, performance.now() - started))
    return verdict
  } catch (err) {
    const why = err instanceof TimeoutError ? `timed out after ${spec.timeoutMs / 1000}s` : err instanceof InvalidVerdict ? `invalid verdict: ${err.message}` : `error: ${errorText(err)}`
    // external services name their failures (connect, http_status, invalid_json, circuit_open…)
    const named = (err as { kind?: unknown } | null)?.kind
    const kind = err instanceof TimeoutError ? 'timeout' : err instanceof InvalidVerdict ? 'invalid_verdict' : typeof named === 'string' ? named : 'error'
    const ms = performance.now() - started
    // logging_only can never block: a failure there is recorded for what it is
    if (spec.onError === 'allow' || mode === 'logging_only') {
      sink({ guardrail: spec.name, mode, action: 'unevaluated', reason: why, error: kind, findings: 0, ms })
      return { action: 'allow' }
    }
    sink({ guardrail: spec.name, mode, action: 'block', reason: why, error: kind, findings: 0, ms })
    throw new GuardrailUnavailable(spec.name, mode, why)
  } finally {
    clearTimeout(timer)
    if (listening) call.signal.removeEventListener('abort', onAbort)
  }
}

function isThenable(v: unknown): v is PromiseLike<Verdict> {
  return typeof (v as { then?: unknown } | null)?.then === 'function'
}

class TimeoutError extends Error {}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  return text.length > 200 ? text.slice(0, 200) + '…' : text
}

/** A verdict from user code is checked before it is trusted. */
export function validate(v: unknown, count: number): Verdict {
  if (typeof v !== 'object' || v === null) throw new InvalidVerdict(`expected an object, got ${v === null ? 'null' : typeof v}`)
  const verdict = v as Record<string, unknown>
  switch (verdict.action) {
    case 'allow':
      return { action: 'allow' }
    case 'flag':
      return { action: 'flag', reason: typeof verdict.reason === 'string' ? verdict.reason : 'flagged', findings: findingsOf(verdict) }
    case 'block':
      return {
        action: 'block',
        reason: typeof verdict.reason === 'string' && verdict.reason ? verdict.reason : 'blocked',
        ...(typeof verdict.code === 'string' ? { code: verdict.code } : {}),
        ...(isObject(verdict.details) ? { details: verdict.details } : {}),
        findings: findingsOf(verdict),
      }
    case 'rewrite': {
      const texts = verdict.texts
      if (!Array.isArray(texts) || !texts.every((t) => typeof t === 'string')) throw new InvalidVerdict('rewrite.texts must be an array of strings')
      if (texts.length !== count) throw new InvalidVerdict(`rewrite returned ${texts.length} texts for ${count}`)
      const params = verdict.params
      if (params !== undefined && !isObject(params)) throw new InvalidVerdict('rewrite.params must be an object')
      const drop = verdict.drop
      if (drop !== undefined && (!Array.isArray(drop) || !drop.every((i) => Number.isInteger(i) && i >= 0 && i < count))) {
        throw new InvalidVerdict(`rewrite.drop must list text indices below ${count}`)
      }
      return {
        action: 'rewrite',
        texts,
        findings: findingsOf(verdict),
        ...(typeof verdict.reason === 'string' ? { reason: verdict.reason } : {}),
        ...(params ? { params } : {}),
        ...(drop && drop.length > 0 ? { drop: drop as number[] } : {}),
      }
    }
    default:
      throw new InvalidVerdict(`unknown action ${JSON.stringify(verdict.action)}`)
  }
}


function findingsOf(v: Record<string, unknown>): Finding[] {
  return Array.isArray(v.findings) ? (v.findings as Finding[]) : []
}

export function decisionOf(guardrail: string, mode: GuardrailMode, v: Verdict, ms: number): Decision {
  const findings = v.action === 'allow' ? 0 : (v.findings?.length ?? 0)
  const base = { guardrail, mode, action: v.action, findings, ms }
  return v.action === 'allow' ? base : v.action === 'rewrite' ? (v.reason ? { ...base, reason: v.reason } : base) : { ...base, reason: v.reason }
}
