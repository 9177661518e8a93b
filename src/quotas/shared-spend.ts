// Budget spend shared by every instance through Redis, so that two instances
// cannot both let a key overshoot its max_budget.
//
// Without it, an instance sees a key's spend as the database's committed spend
// *when it loaded the key* (its key cache holds it up to a minute) plus the
// spend of its own calls not yet committed. Calls made through the other
// instances are invisible until the key is reloaded.
//
// The design: per key and budget period, one Redis number,
// `portcullis:spend:{hash}:{period}`, that counts the key's spend as the
// cluster *records* it (not as it commits it):
//   - it is seeded, if absent, with the committed spend of the key as loaded
//     from the database (SET NX inside a script: the first seed wins);
//   - every recorded call adds its spend (INCRBYFLOAT, in the same script, so
//     an absent counter is seeded before it is incremented);
//   - committing records to the database does not touch it, so nothing is
//     counted twice or dropped between "recorded" and "committed".
// Admission compares max(local view, shared counter) with the budget. Both are
// lower bounds of the true spend (the counter misses only spend recorded while
// Redis was unavailable, or before it was seeded again after it expired), so
// the larger is the better one. The period (the key's budget_reset_at) is in
// the name: a budget reset starts a new counter, seeded with the database's
// reset spend (0). The counter expires an hour after its last use; the next
// use seeds it again from the database, which by then holds every call.
//
// Calls in flight when a budget is reached can still overshoot it by their own
// cost, as on one instance: admission happens before a call's cost is known.
import { LRUCache } from 'lru-cache'
import type { VirtualKey } from '../auth/keys.ts'
import { KEY_PREFIX, type SharedRedis } from '../shared/redis.ts'

const TTL_MS = 3_600_000

// KEYS[1] counter; ARGV[1] seed, ARGV[2] increment, ARGV[3] ttl ms. Returns the total (a string).
const SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[3])
local v = redis.call('INCRBYFLOAT', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return v`

export class SharedSpend {
  private readonly shared: SharedRedis
  /** per key hash: its counter's name and its seed, from the last admission (recording needs them) */
  private readonly seen = new LRUCache<string, { counter: string; seed: number }>({ max: 100_000 })

  constructor(shared: SharedRedis) {
    this.shared = shared
  }

  /** The key's spend in its current budget period as the cluster recorded it, or undefined (Redis unavailable). */
  async total(key: VirtualKey): Promise<number | undefined> {
    const counter = `${KEY_PREFIX}spend:${key.hash}:${key.budgetResetAt?.getTime() ?? 'none'}`
    this.seen.set(key.hash, { counter, seed: key.spend })
    const r = await this.shared.run('budget', (c) => c.eval(SCRIPT, 1, counter, String(key.spend), '0', String(TTL_MS)))
    return r ? Number(r.value) : undefined
  }

  /** Adds a recorded call's spend (only for keys admitted here with a budget). */
  async add(keyHash: string, spend: number): Promise<void> {
    const s = this.seen.get(keyHash)
    if (!s || !(spend > 0)) return
    await this.shared.run('budget', (c) => c.eval(SCRIPT, 1, s.counter, String(s.seed), String(spend), String(TTL_MS)))
  }
}
