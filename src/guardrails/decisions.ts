// Folds the many checks a stream makes into one decision per guardrail, so a
// streamed call is recorded like a JSON one: the strongest action seen, its
// reason, the findings and the time spent, summed.
import type { DecisionSink } from './engine.ts'
import type { Decision, DecisionAction } from './types.ts'

const RANK: Readonly<Record<DecisionAction, number>> = { allow: 0, flag: 1, rewrite: 2, unevaluated: 3, block: 4 }

export class DecisionFolder {
  private readonly folded = new Map<string, Decision>()
  private readonly out: DecisionSink

  constructor(out: DecisionSink) {
    this.out = out
  }

  readonly sink: DecisionSink = (d) => {
    const key = `${d.guardrail}\u0000${d.mode}`
    const prev = this.folded.get(key)
    if (!prev) {
      this.folded.set(key, { ...d })
      return
    }
    const stronger = RANK[d.action] > RANK[prev.action] ? d : prev
    this.folded.set(key, { ...stronger, findings: prev.findings + d.findings, ms: prev.ms + d.ms })
  }

  flush(): void {
    for (const d of this.folded.values()) this.out(d)
    this.folded.clear()
  }
}
