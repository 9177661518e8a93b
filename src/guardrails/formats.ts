// What the guardrail engine needs from a wire format, and nothing more: the
// texts of a request and of an answer (extracted into an indexed list, written
// back 1:1), and a stream's events read as per-choice pieces and rebuilt from
// them. The inbound protocols implement these (src/protocols/); the engine
// itself never looks inside a request, an answer or an event.
import type { GuardText } from './types.ts'

export interface TextCodec<Req, Answer> {
  /** every text of the request, in a fixed order */
  requestTexts(req: Req): GuardText[]
  /** writes (possibly rewritten) texts back into the request, in place, in the same order */
  applyRequestTexts(req: Req, texts: readonly GuardText[]): void
  answerTexts(answer: Answer): GuardText[]
  /** writes answer texts back in place; `drop` removes those tool calls (by text index) whole */
  applyAnswerTexts(answer: Answer, texts: readonly GuardText[], drop?: ReadonlySet<number>): void
}

/** A piece of a streamed tool call, as one event carries it. */
export interface ToolCallPiece {
  /** which of the choice's tool calls */
  index: number
  id?: string
  name?: string
  arguments?: string
}

/** What one event says about one choice of the answer. */
export interface ChoiceDelta {
  index: number
  /** a piece of its text */
  text?: string
  toolCalls?: readonly ToolCallPiece[]
  /** a piece of a legacy `functions` call */
  functionCall?: { name?: string; arguments?: string }
  finish?: string
}

/** A tool call held whole until the end of the stream, then emitted at once. */
export interface HeldCall {
  id: string | undefined
  name: string
  args: string
}

/**
 * A stream's events as the stream guard reads and rebuilds them. `like` is
 * the last upstream event (ids, model), undefined before the first; `first`
 * says nothing was emitted for the choice yet.
 */
export interface StreamEvents<Event> {
  /** the choices an event updates; undefined for an event that carries only usage (held back until the end) */
  read(ev: Event): ChoiceDelta[] | undefined
  text(like: Event | undefined, choice: number, text: string, first: boolean): Event
  /** absent for a format without tool calls (its `read` never reports any) */
  toolCalls?(like: Event | undefined, choice: number, calls: readonly HeldCall[], first: boolean): Event
  /** absent for a format without legacy function calls */
  functionCall?(like: Event | undefined, choice: number, call: HeldCall, first: boolean): Event
  finish(like: Event | undefined, choice: number, reason: string, first: boolean): Event
  /** the events that end a choice with a guardrail's refusal */
  refusal(like: Event | undefined, choice: number, text: string, first: boolean): Event[]
}
