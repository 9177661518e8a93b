// Per-minute counters shared by every instance through Redis: one fixed
// window per minute (INCRBY on `portcullis:win:{minute}:{name}`, expiring
// after two minutes), so an rpm_limit of 3 means 3 across all instances.
// Instances take the minute from their own clocks (keep them in NTP sync).
//
// Every count also goes to a local counter. While Redis is unavailable the
// local one answers: limits hold per instance (each instance allows the full
// limit), which is the documented fallback, never an outage.
import type { SharedRedis } from '../shared/redis.ts'
import { KEY_PREFIX } from '../shared/redis.ts'
import { LocalCounters, currentMinute, type WindowCounters } from './counters.ts'

const WINDOW_TTL_MS = 120_000

export class RedisCounters implements WindowCounters {
  private readonly shared: SharedRedis
  private readonly local = new LocalCounters()

  constructor(shared: SharedRedis) {
    this.shared = shared
  }

  async add(name: string, n: number): Promise<number> {
    const local = await this.local.add(name, n)
    const key = `${KEY_PREFIX}win:${currentMinute()}:${name}`
    const r = await this.shared.run('rate_limit', async (c) => {
      const replies = await c.multi().incrby(key, n).pexpire(key, WINDOW_TTL_MS).exec()
      const [err, total] = replies?.[0] ?? [new Error('transaction discarded'), undefined]
      if (err) throw err
      return Number(total)
    })
    return r ? r.value : local
  }

  async get(name: string): Promise<number> {
    const key = `${KEY_PREFIX}win:${currentMinute()}:${name}`
    const r = await this.shared.run('rate_limit', (c) => c.get(key))
    return r ? Number(r.value ?? 0) : this.local.get(name)
  }
}
