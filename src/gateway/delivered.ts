// The last step of a streamed call before the HTTP layer: the stream passes
// through while its accounting is done. The upstream's usage event is taken
// for the call's tokens and spend (and forwarded only to clients that asked
// for it); tokens are counted when there was none; at the end the deployment
// slot is freed and logging_only checks of what was delivered are queued.
import type { CallGuards } from '../guardrails/pipeline.ts'
import type { GuardText } from '../guardrails/types.ts'
import type { JsonObject } from '../json.ts'
import type { StreamFormat, TokenUsage } from '../protocols/protocol.ts'
import { countTokens } from '../providers/tokens.ts'
import type { Deployment } from '../providers/types.ts'
import type { CallTrace } from './trace.ts'

export interface Delivery<Req extends JsonObject, Answer, Event> {
  format: StreamFormat<Req, Event>
  guards: CallGuards<Req, Answer>
  trace: CallTrace
  deployment: Deployment
  /** frees the deployment's slot (least-busy routing) */
  release: () => void
  clientWantsUsage: boolean
}

export async function* delivered<Req extends JsonObject, Answer, Event>(events: AsyncIterable<Event>, d: Delivery<Req, Answer, Event>): AsyncGenerator<Event> {
  const texts = new Map<number, string>()
  let complete = false
  try {
    for await (const ev of events) {
      const usage = d.format.usage(ev)
      if (usage) {
        account(d.trace, d.deployment, usage)
        if (d.clientWantsUsage) yield ev
        continue
      }
      for (const c of d.format.read(ev) ?? []) if (c.text) texts.set(c.index, (texts.get(c.index) ?? '') + c.text)
      yield ev
    }
    complete = true
    d.trace.answer = [...texts.values()]
    if (!d.trace.usage) {
      const requestTexts = d.guards.requestTexts().map((t) => t.text)
      const [prompt, completion] = await Promise.all([countTokens(requestTexts), countTokens([...texts.values()])])
      account(d.trace, d.deployment, { prompt, completion })
    }
  } finally {
    d.release()
    if (d.guards.hasLoggingOnly && complete) {
      const list: GuardText[] = [...texts.values()].map((text, index) => ({ index, text, source: 'completion' }))
      d.guards.logAfter(list)
    }
  }
}

/** Records a call's tokens and what they cost at the deployment's prices. */
export function account(trace: CallTrace, d: Deployment, usage: TokenUsage | undefined): void {
  if (!usage) return
  trace.usage = { prompt: usage.prompt, completion: usage.completion }
  trace.spend = usage.prompt * d.inputCostPerToken + usage.completion * d.outputCostPerToken
}
