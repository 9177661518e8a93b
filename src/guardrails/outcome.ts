// What a guardrail's block becomes for the client, decided here and nowhere
// else: the refusal — a normal answer whose text is the guardrail's
// refusal_message — when the guardrail is configured `on_block: refusal` and
// the call's protocol has a text answer to refuse with; otherwise the
// guardrail_blocked error (400). How either looks on the wire is the inbound
// protocol's business (src/protocols/protocol.ts, ClientAnswers).
import type { BlockInfo } from './engine.ts'
import { GuardrailBlocked } from './errors.ts'

export type BlockOutcome<Refusals> = { refusal: string; with: Refusals } | { error: GuardrailBlocked }

/** `refusals`: how the protocol answers with a refusal, undefined when it cannot (embeddings). */
export function blockOutcome<Refusals>(b: BlockInfo, refusals: Refusals | undefined): BlockOutcome<Refusals> {
  if (b.spec.onBlock === 'refusal' && refusals !== undefined) return { refusal: b.spec.refusalMessage, with: refusals }
  return { error: new GuardrailBlocked(b.spec.name, b.mode, b.reason, b.details) }
}
