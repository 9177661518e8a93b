// What the HTTP layer serves, as it needs it: the gateway, authentication, the
// inbound protocols, and the few services of the application its routes call
// (admission, call records, key and guardrail admin, readiness). The
// composition root (src/app.ts) builds them; http/ builds nothing of its own.
import type { KeyStore } from '../auth/keys.ts'
import type { Authenticator } from '../auth/master-key.ts'
import type { Gateway } from '../gateway/gateway.ts'
import type { CallTrace } from '../gateway/trace.ts'
import type { AnyProtocol } from '../protocols/protocol.ts'
import type { Logger } from '../telemetry/logger.ts'
import type { Metrics } from '../telemetry/metrics.ts'
import type { RequestState } from './request-state.ts'

/** /spend/logs filters. */
export interface SpendQuery {
  requestId?: string
  keyHash?: string
  keyAlias?: string
  model?: string
  startDate?: string
  endDate?: string
  limit: number
}

/** LiteLLM's guardrail admin routes. */
export interface GuardrailAdmin {
  /** the configured guardrails: types, modes and policy, never their params */
  list(): readonly object[]
  has(name: string): boolean
  /** runs one guardrail by hand on a text; its name and decision go into `trace`; throws its block, 404 for an unknown name */
  apply(name: string, text: string, requestId: string, trace: CallTrace): Promise<string>
}

export interface HttpServices {
  gateway: Gateway
  auth: Authenticator
  /** the inbound protocols, each served on its paths */
  protocols: readonly AnyProtocol[]
  logger: Logger
  metrics: Metrics
  guardrails: GuardrailAdmin
  /** virtual keys; undefined when the gateway runs without storage */
  keys: KeyStore | undefined
  /** the call records; undefined without storage */
  spendLogs: ((q: SpendQuery) => Promise<readonly object[]>) | undefined
  /** refuses a model call before it runs: records that could not be kept (503), a model the key may not use (403), its rate limits and budget (429, 400) */
  admit(state: RequestState): Promise<void>
  /** appends the call's record (once), just before its answer completes; throws a 503 when it cannot */
  record(requestId: string, state: RequestState, status: number): void
  /** the database, as /health/readiness reports it */
  dbState(): 'connected' | 'opening' | 'unavailable' | 'none'
}
