// The guardrail contract (DESIGN.md). A guardrail sees an indexed list of texts
// the engine extracted from a call, never HTTP, and answers a verdict. The
// engine writes rewrites back 1:1, enforces timeouts and failure policy, and
// records every decision.

export type GuardrailMode = 'pre_call' | 'during_call' | 'post_call' | 'logging_only'

/** Which kind of call a guardrail is looking at (the inbound protocol's). */
export type CallType = 'chat' | 'completion' | 'embeddings'

/** Where a text came from, so a guardrail can treat e.g. tool arguments differently. */
export type TextSource =
  | 'system'
  | 'user'
  | 'assistant'
  | 'tool_call_arguments'
  | 'tool_result'
  | 'prompt'
  | 'embedding_input'
  | 'completion'
  | 'tool_call'

export interface GuardText {
  /** position in the list; a rewrite returns texts in the same order */
  index: number
  text: string
  source: TextSource
  /** the tool's name for tool_call_arguments / tool_call */
  toolName?: string
}

export interface Finding {
  /** e.g. `email`, `aws_access_key`, `instruction_override` */
  type: string
  /** which text */
  index: number
  start?: number
  end?: number
  score?: number
}

export type Verdict =
  | { action: 'allow' }
  | { action: 'flag'; reason: string; findings?: Finding[] }
  | {
      action: 'rewrite'
      texts: string[]
      findings?: Finding[]
      reason?: string
      /** pre_call only: top-level request fields to set (a clamped max_tokens, a filtered `tools`); null deletes */
      params?: Record<string, unknown>
      /** indices of tool-call texts (sources tool_call / tool_call_arguments) whose whole tool call is removed */
      drop?: number[]
    }
  | { action: 'block'; reason: string; code?: string; details?: Record<string, unknown>; findings?: Finding[] }

export interface GuardContext {
  requestId: string
  /** the model group the client asked for */
  model: string
  /** which kind of call */
  callType: CallType
  mode: GuardrailMode
  /** aborted when the guardrail's time is up or the call is abandoned */
  signal: AbortSignal
  /** server-trusted data about the caller (key metadata once keys exist); never client-controlled */
  caller: Readonly<Record<string, unknown>>
  /** the request's `metadata` as the client sent it (client-controlled) */
  requestMetadata: Readonly<Record<string, unknown>>
  /** the chat request's tool definitions, if any (read-only) */
  tools?: readonly unknown[]
  /** the request body as the upstream will get it (read-only): max_tokens, n, message count… */
  request: Readonly<Record<string, unknown>>
}

/** Incremental output scanning for guardrails with their own streaming logic. */
export interface StreamScanner {
  /** sees each new piece of a choice's text in order, before the client does */
  push(text: string, choice: number): Verdict | Promise<Verdict>
  /** the stream ended; a last chance to block */
  end(): Verdict | Promise<Verdict>
}

export interface Guardrail {
  /** its guardrail_name: set by the engine when it builds the guardrail, so a factory need not */
  name?: string
  checkInput?(texts: GuardText[], ctx: GuardContext): Promise<Verdict>
  checkOutput?(texts: GuardText[], ctx: GuardContext): Promise<Verdict>
  openStream?(ctx: GuardContext): StreamScanner
  /** frees pools, timers (called on shutdown) */
  close?(): Promise<void>
}

/** What the engine records per guardrail per call. */
export type DecisionAction = 'allow' | 'flag' | 'rewrite' | 'block' | 'unevaluated'

export interface Decision {
  guardrail: string
  mode: GuardrailMode
  action: DecisionAction
  reason?: string
  /** for unevaluated: why (timeout, error, invalid_verdict) */
  error?: string
  findings: number
  ms: number
}
