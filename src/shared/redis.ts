// State shared between gateway instances, in Redis (REDIS_URL): rate-limit
// windows, budget spend, guardrail lookup caches and key evictions. Redis is
// an accelerator of correctness, never a dependency of availability: every
// call here is bounded (a short command timeout, no offline queue, no retries
// per request) and a call that cannot be made answers "unavailable"
// (undefined) at once, so its caller falls back to per-instance state. Each
// fallback is counted (`portcullis_redis_fallback_total{op}`) and the first one
// after a healthy spell is logged; recovery is logged too.
//
// Two connections: one for commands, one subscribed to the key-eviction
// channel. A key deleted or changed on one instance is published there and
// every instance evicts it from its key cache on receipt. Evictions published
// while this instance's subscription was down are lost, so every
// (re)subscription is followed by a resync (the key cache is cleared).
import { Redis, type RedisOptions } from 'ioredis'
import type { Logger } from '../telemetry/logger.ts'

/** What a Redis call was for: the label of the fallback counter. */
export type SharedOp = 'rate_limit' | 'budget' | 'trust_cache' | 'key_eviction'

export interface SharedRedisOptions {
  url: string
  logger: Logger
  /** bound of every command, ms (Redis on a LAN answers in well under 1 ms) */
  timeoutMs?: number
  /** an operation fell back to per-instance state */
  onFallback?: (op: SharedOp) => void
  /** CLIENT SETNAME of both connections (default `portcullis`) */
  name?: string
  /** the command connection came up (true) or went down (false) */
  onStatus?: (up: boolean) => void
}

export const KEY_PREFIX = 'portcullis:'
const EVICT_CHANNEL = `${KEY_PREFIX}keys:evict`
/** after a command timed out, Redis is skipped for this long: a hung Redis costs one timeout a second, not one per request */
const BREAKER_MS = 1000

class Timeout extends Error {}

export class SharedRedis {
  readonly timeoutMs: number
  private readonly client: Redis
  private readonly sub: Redis
  private readonly logger: Logger
  private readonly opts: SharedRedisOptions
  private skipUntil = 0
  private degraded = false
  private closed = false
  private subscribedOnce = false
  private readonly evictListeners: Array<(hashes: string[]) => void> = []
  private readonly resyncListeners: Array<() => void> = []
  private readonly whenSubscribed: Promise<void>

  constructor(opts: SharedRedisOptions) {
    this.opts = opts
    this.logger = opts.logger
    this.timeoutMs = opts.timeoutMs ?? 200
    const common: RedisOptions = {
      // RESP2 works with every Redis (and Valkey, KeyDB) version
      protocol: 2,
      disableClientInfo: true,
      connectTimeout: 2000,
      // a socket that will not close cleanly is destroyed soon, so a shutdown is not held for it
      disconnectTimeout: 200,
      // reconnect forever, at most every 2 s; requests never wait for it
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      keepAlive: 10_000,
      connectionName: opts.name ?? 'portcullis',
    }
    // ioredis's own command timeout only cleans up after ours (run()) answered the caller
    this.client = new Redis(opts.url, { ...common, commandTimeout: Math.max(1000, this.timeoutMs * 5) })
    this.sub = new Redis(opts.url, common)
    // connection errors are reported by the fallbacks they cause; an unhandled 'error' would be printed by ioredis
    this.client.on('error', () => {})
    this.sub.on('error', () => {})
    this.client.on('ready', () => {
      opts.onStatus?.(true)
      if (this.degraded) this.recovered()
    })
    this.client.on('close', () => opts.onStatus?.(false))

    let first: () => void = () => {}
    this.whenSubscribed = new Promise((resolve) => (first = resolve))
    this.sub.on('message', (channel: string, message: string) => {
      if (channel !== EVICT_CHANNEL) return
      const hashes = message.split(',').filter((h) => /^[0-9a-f]{64}$/.test(h))
      for (const l of this.evictListeners) l(hashes)
    })
    this.sub.on('ready', () => {
      this.sub.subscribe(EVICT_CHANNEL).then(
        () => {
          if (!this.subscribedOnce) {
            this.subscribedOnce = true
            first()
            return
          }
          // evictions published while we were not subscribed are lost: forget every cached key once
          for (const l of this.resyncListeners) l()
        },
        () => this.sub.disconnect(true),
      )
    })
  }

  /** Resolves once both connections are up, or after `ms` (whichever comes first); never rejects. */
  async ready(ms: number): Promise<boolean> {
    const up = Promise.all([this.whenSubscribed, this.client.status === 'ready' ? undefined : new Promise((r) => this.client.once('ready', r))])
    let timer: NodeJS.Timeout | undefined
    const ok = await Promise.race([up.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))])
    clearTimeout(timer)
    if (!ok) this.fellBack('key_eviction', new Error(`Redis not reachable within ${ms} ms of start`))
    return ok
  }

  get up(): boolean {
    return this.client.status === 'ready'
  }

  /**
   * `fn` against Redis, bounded by the timeout: its value in a box, or
   * undefined when Redis is unavailable (the caller falls back; counted).
   */
  async run<T>(op: SharedOp, fn: (r: Redis) => Promise<T>): Promise<{ value: T } | undefined> {
    if (this.closed || this.client.status !== 'ready' || Date.now() < this.skipUntil) {
      this.fellBack(op, undefined)
      return undefined
    }
    let timer: NodeJS.Timeout | undefined
    try {
      const value = await Promise.race([
        fn(this.client),
        new Promise<never>((_, reject) => {
          // the timer fires in the timers phase, before this turn's I/O: an event loop that lagged
          // past the bound would call an answer already in the socket late. setImmediate runs after
          // the I/O phase, so a reply that arrived in time wins the race.
          timer = setTimeout(() => setImmediate(() => reject(new Timeout(`Redis did not answer within ${this.timeoutMs} ms`))), this.timeoutMs)
        }),
      ])
      if (this.degraded) this.recovered()
      return { value }
    } catch (err) {
      if (err instanceof Timeout) this.skipUntil = Date.now() + BREAKER_MS
      this.fellBack(op, err as Error)
      return undefined
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * A small key-value cache under `portcullis:cache:`: `get` answers a hit
   * with its remaining lifetime, null for a miss, undefined when Redis is
   * unavailable; `set` never throws.
   */
  cache(op: SharedOp): {
    get(key: string): Promise<{ value: string; ttlMs: number } | null | undefined>
    set(key: string, value: string, ttlMs: number): Promise<void>
  } {
    const name = (key: string): string => `${KEY_PREFIX}cache:${key}`
    return {
      get: async (key) => {
        const r = await this.run(op, async (c) => {
          const replies = await c.multi().get(name(key)).pttl(name(key)).exec()
          const [[e1, value], [e2, ttl]] = (replies ?? [[new Error('transaction discarded'), null], [null, 0]]) as [[Error | null, unknown], [Error | null, unknown]]
          if (e1 || e2) throw e1 ?? e2
          return typeof value === 'string' && Number(ttl) > 0 ? { value, ttlMs: Number(ttl) } : null
        })
        return r?.value
      },
      set: async (key, value, ttlMs) => {
        await this.run(op, (c) => c.set(name(key), value, 'PX', Math.max(1, Math.round(ttlMs))))
      },
    }
  }

  /** Tells every instance (this one included) to drop these keys from its key cache. */
  async publishEviction(hashes: readonly string[]): Promise<void> {
    if (hashes.length === 0) return
    await this.run('key_eviction', (r) => r.publish(EVICT_CHANNEL, hashes.join(',')))
  }

  /** `fn` runs with the hashes of every eviction published by any instance. */
  onEviction(fn: (hashes: string[]) => void): void {
    this.evictListeners.push(fn)
  }

  /** `fn` runs when the subscription came back after a loss: evictions may have been missed. */
  onResync(fn: () => void): void {
    this.resyncListeners.push(fn)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const quit = (r: Redis): Promise<unknown> =>
      Promise.race([r.quit().catch(() => {}), new Promise((res) => setTimeout(res, this.timeoutMs).unref())]).finally(() => r.disconnect())
    await Promise.all([quit(this.client), quit(this.sub)])
  }

  private fellBack(op: SharedOp, err: Error | undefined): void {
    this.opts.onFallback?.(op)
    if (this.degraded || this.closed) return
    this.degraded = true
    this.logger.warn(
      { op, err: err?.message ?? `connection ${this.client.status}` },
      'Redis unavailable: falling back to per-instance rate limits, budgets and caches; key deletions reach other instances only when their key cache expires',
    )
  }

  private recovered(): void {
    this.degraded = false
    this.logger.info('Redis available again: limits, budgets and caches are shared')
  }
}

/** The URL with its password hidden, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(unparsable REDIS_URL)'
  }
}
