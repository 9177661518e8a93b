// Per-deployment failure memory: a deployment that fails more than
// `allowedFails` times within a minute, or is rate-limited, rests for the
// cooldown. Cooldown is a preference, not a wall: when every deployment of a
// group is resting the router still tries one, so a recovering upstream is not
// kept dark by the gateway itself.
import type { UpstreamError } from '../errors.ts'

const WINDOW_MS = 60_000

interface Health {
  failures: number[]
  coolUntil: number
}

export class Cooldowns {
  private readonly health = new Map<string, Health>()
  private readonly allowedFails: number
  private readonly cooldownMs: number
  private readonly now: () => number

  constructor(allowedFails: number, cooldownMs: number, now: () => number = Date.now) {
    this.allowedFails = allowedFails
    this.cooldownMs = cooldownMs
    this.now = now
  }

  isCooling(id: string): boolean {
    const h = this.health.get(id)
    return h !== undefined && h.coolUntil > this.now()
  }

  success(id: string): void {
    if (this.health.has(id)) this.health.delete(id)
  }

  failure(id: string, err: UpstreamError): void {
    if (this.cooldownMs === 0) return
    const t = this.now()
    const h = this.health.get(id) ?? { failures: [], coolUntil: 0 }
    h.failures = h.failures.filter((f) => t - f < WINDOW_MS)
    h.failures.push(t)
    if (err.status === 429) {
      h.coolUntil = t + Math.max(this.cooldownMs, err.retryAfterMs ?? 0)
    } else if (h.failures.length > this.allowedFails) {
      h.coolUntil = t + this.cooldownMs
      h.failures = []
    }
    this.health.set(id, h)
  }
}
