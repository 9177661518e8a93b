// Holds each virtual key to its policy before a call: rpm and tpm (429 with
// Retry-After), and max_budget (refused once the spend passed it). Spend that
// is recorded but not yet committed to the database counts too, so a burst
// cannot overshoot a budget while the journal is flushing.
import type { VirtualKey } from '../auth/keys.ts'
import { GatewayError } from '../errors.ts'
import { secondsToNextMinute, type WindowCounters } from './counters.ts'
import type { SharedSpend } from './shared-spend.ts'

export class KeyQuotas {
  private readonly counters: WindowCounters
  /** spend recorded in the journal, not yet in the database, per key hash */
  private readonly uncommitted = new Map<string, number>()
  /** the same spend per request id, until its record is committed (bounded by the journal's bound) */
  private readonly pending = new Map<string, { keyHash: string; spend: number }>()
  /** with Redis: the spend every instance recorded (shared-spend.ts) */
  private readonly shared: SharedSpend | undefined

  constructor(counters: WindowCounters, shared?: SharedSpend) {
    this.counters = counters
    this.shared = shared
  }

  /** Throws 429 (rate) or 400 budget_exceeded; counts the request against rpm. */
  async admit(key: VirtualKey): Promise<void> {
    if (key.maxBudget !== null) {
      const local = key.spend + (this.uncommitted.get(key.hash) ?? 0)
      const spent = Math.max(local, (await this.shared?.total(key)) ?? 0)
      if (spent >= key.maxBudget) {
        throw new GatewayError(400, `budget exceeded: this key has spent $${spent.toFixed(6)} of its max_budget $${key.maxBudget}${key.budgetResetAt ? `; it resets at ${key.budgetResetAt.toISOString()}` : ''}`, {
          type: 'budget_exceeded',
          code: 'budget_exceeded',
        })
      }
    }
    if (key.tpmLimit !== null) {
      const used = await this.counters.get(`tpm:${key.hash}`)
      if (used >= key.tpmLimit) throw this.tooMany(`tpm_limit of ${key.tpmLimit} tokens per minute reached`)
    }
    if (key.rpmLimit !== null) {
      const n = await this.counters.add(`rpm:${key.hash}`, 1)
      if (n > key.rpmLimit) throw this.tooMany(`rpm_limit of ${key.rpmLimit} requests per minute reached`)
    }
  }

  /**
   * After a call: its tokens count against tpm, its spend against the budget
   * until its record is committed. Remembered by request id, so that only the
   * spend this process added is taken off again (records replayed from an
   * earlier run were never added here).
   */
  async used(keyHash: string, requestId: string, tokens: number, spend: number): Promise<void> {
    if (spend > 0) {
      this.pending.set(requestId, { keyHash, spend })
      this.uncommitted.set(keyHash, (this.uncommitted.get(keyHash) ?? 0) + spend)
      await this.shared?.add(keyHash, spend)
    }
    if (tokens > 0) await this.counters.add(`tpm:${keyHash}`, tokens)
  }

  /** The database now holds this record: its spend (if this process counted it) moves to the key's committed spend, returned. */
  committed(requestId: string): { keyHash: string; spend: number } | undefined {
    const p = this.pending.get(requestId)
    if (!p) return undefined
    this.pending.delete(requestId)
    const left = (this.uncommitted.get(p.keyHash) ?? 0) - p.spend
    if (left > 1e-12) this.uncommitted.set(p.keyHash, left)
    else this.uncommitted.delete(p.keyHash)
    return p
  }

  private tooMany(why: string): GatewayError {
    const retry = secondsToNextMinute()
    return new GatewayError(429, `rate limit: ${why}; retry in ${retry}s`, { type: 'rate_limit_error', code: 'rate_limit_exceeded', headers: { 'retry-after': String(retry) } })
  }
}
