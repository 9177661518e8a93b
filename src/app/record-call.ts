// The record a model call leaves: appended to the journal just before its
// answer completes (JSON: before the body is sent; streams: before the last
// event; errors: before the error is sent), exactly once, and its tokens and
// spend counted against the caller's key. Keys appear only as their hash;
// prompts and answers only with general_settings.store_prompts.
import { GatewayError } from '../errors.ts'
import { summarize } from '../gateway/trace.ts'
import type { RequestState } from '../http/request-state.ts'
import type { KeyQuotas } from '../quotas/key-quotas.ts'
import type { Storage } from '../store/storage.ts'
import type { Logger } from '../telemetry/logger.ts'

export interface Recorder {
  storage: Storage | undefined
  quotas: KeyQuotas
  storePrompts: boolean
  logger: Logger
}

export function recordCall(r: Recorder, requestId: string, s: RequestState, status: number): void {
  // only model calls (the routes of an inbound protocol) leave a record, once
  if (s.recorded || !s.protocol) return
  // an unauthenticated caller's junk is logged and counted, not stored (it would let anyone fill the journal)
  if (status === 401) return
  // A call refused because the journal is over its bound (503 records_backlog)
  // is not recorded either: appending each refusal would grow the journal past
  // its bound for as long as the database stays away. It is logged and counted.
  if (status === 503 && r.storage?.journal.full) return
  s.recorded = true
  const key = s.caller?.kind === 'key' ? s.caller.key : undefined
  const usage = s.trace.usage ?? { prompt: 0, completion: 0 }
  if (key) void r.quotas.used(key.hash, requestId, usage.prompt + usage.completion, s.trace.spend).catch(() => {})
  if (!r.storage) return
  const body = s.body as { model?: unknown; messages?: unknown; prompt?: unknown; input?: unknown } | undefined
  try {
    r.storage.record({
      request_id: requestId,
      started_at: new Date(s.startedAt).toISOString(),
      key_hash: key?.hash ?? null,
      key_alias: key?.alias ?? null,
      team_id: key?.teamId ?? null,
      route: s.route,
      // s.model is a metrics label ('unknown' for a model not served); the record keeps the
      // model the client asked for, so a 404's record says what was asked (capped: client text)
      model: s.model !== 'unknown' ? s.model : typeof body?.model === 'string' ? body.model.slice(0, 256) : null,
      deployment: s.deployment ?? null,
      status,
      prompt_tokens: usage.prompt,
      completion_tokens: usage.completion,
      spend: s.trace.spend,
      latency_ms: Math.round((performance.now() - s.started) * 100) / 100,
      stream: s.stream,
      decisions: s.trace.decisions.map(summarize),
      ...(r.storePrompts ? { prompt: body?.messages ?? body?.prompt ?? body?.input ?? null, response: s.trace.answer ?? null } : {}),
    })
  } catch (err) {
    // an answer we could not record is not given: the caller sees a 503 instead
    r.logger.error({ err: (err as Error).message, reqId: requestId }, 'could not append the call record')
    throw new GatewayError(503, 'the gateway cannot record calls right now (journal write failed); nothing was answered', { code: 'records_unavailable' })
  }
}
