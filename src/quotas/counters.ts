// Per-minute counters for rate limits. Local ones live in this process; a
// shared implementation (Redis) makes several instances count as one.
export interface WindowCounters {
  /** adds `n` to this minute's counter `name`; the new total */
  add(name: string, n: number): Promise<number>
  /** this minute's total of `name` */
  get(name: string): Promise<number>
}

export const currentMinute = (now = Date.now()): number => Math.floor(now / 60_000)

/** Seconds until the current minute's window ends: the Retry-After of a 429. */
export const secondsToNextMinute = (now = Date.now()): number => Math.max(1, Math.ceil((60_000 - (now % 60_000)) / 1000))

export class LocalCounters implements WindowCounters {
  private minute = currentMinute()
  private counts = new Map<string, number>()

  private roll(): void {
    const m = currentMinute()
    // a fixed window: last minute's counts are dropped, so the map stays bounded by active keys
    if (m !== this.minute) {
      this.minute = m
      this.counts = new Map()
    }
  }

  async add(name: string, n: number): Promise<number> {
    this.roll()
    const total = (this.counts.get(name) ?? 0) + n
    this.counts.set(name, total)
    return total
  }

  async get(name: string): Promise<number> {
    this.roll()
    return this.counts.get(name) ?? 0
  }
}
