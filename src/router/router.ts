// Picks a deployment for a model group and runs an attempt on it, with
// retries (backoff, Retry-After), cooldowns and fallbacks to other groups.
// Everything here happens before the first byte reaches the client: a stream
// attempt resolves once the upstream accepted it.
import { setTimeout as sleep } from 'node:timers/promises'
import { GatewayError, modelNotFound, UpstreamError } from '../errors.ts'
import type { RouterConfig } from '../config/load.ts'
import type { Deployment } from '../providers/types.ts'
import { Cooldowns } from './cooldown.ts'

export interface RouteResult<T> {
  result: T
  deployment: Deployment
  /** upstream attempts made, the successful one included */
  attempts: number
  /** frees the deployment's in-flight slot (least-busy); call once the answer is fully delivered */
  release: () => void
}

const BACKOFF_BASE_MS = 250
const BACKOFF_MAX_MS = 8_000

export class Router {
  private readonly groups = new Map<string, Deployment[]>()
  private readonly inFlight = new Map<string, number>()
  private readonly cooldowns: Cooldowns
  private readonly cfg: RouterConfig
  private readonly random: () => number

  constructor(deployments: readonly Deployment[], cfg: RouterConfig, random: () => number = Math.random) {
    for (const d of deployments) {
      const g = this.groups.get(d.modelName)
      if (g) g.push(d)
      else this.groups.set(d.modelName, [d])
    }
    this.cfg = cfg
    this.random = random
    this.cooldowns = new Cooldowns(cfg.allowedFails, cfg.cooldownMs)
  }

  has(modelName: string): boolean {
    return this.groups.has(modelName)
  }

  modelNames(): string[] {
    return [...this.groups.keys()]
  }

  async route<T>(modelName: string, signal: AbortSignal, attempt: (d: Deployment) => Promise<T>): Promise<RouteResult<T>> {
    if (!this.groups.has(modelName)) {
      throw modelNotFound(modelName)
    }
    // A Set: the same fallback may be listed under both litellm_settings and
    // router_settings (the loader concatenates them); each group is tried once.
    const chain = [...new Set([modelName, ...(this.cfg.fallbacks.get(modelName) ?? [])])]
    let attempts = 0
    let last: UpstreamError | undefined
    for (const group of chain) {
      const tried = new Set<string>()
      for (let retry = 0; retry <= this.cfg.numRetries; retry++) {
        if (signal.aborted) throw new UpstreamError(499, 'the client closed the request', 'aborted')
        const d = this.pick(group, tried)
        const againOnSame = tried.has(d.id)
        if (last && retry > 0) await this.waitBeforeRetry(last, retry, againOnSame, signal)
        tried.add(d.id)
        attempts++
        this.inFlight.set(d.id, (this.inFlight.get(d.id) ?? 0) + 1)
        let released = false
        const release = (): void => {
          if (released) return
          released = true
          this.inFlight.set(d.id, (this.inFlight.get(d.id) ?? 1) - 1)
        }
        try {
          const result = await attempt(d)
          this.cooldowns.success(d.id)
          return { result, deployment: d, attempts, release }
        } catch (err) {
          release()
          if (!(err instanceof UpstreamError)) throw err
          err.deployment = d.id
          if (err.failure === 'aborted') throw err
          if (err.fallbackable) this.cooldowns.failure(d.id, err)
          last = err
          if (!err.retryable) break
          // A Retry-After longer than we will wait: leave this deployment to rest
          // and try the group's others, or the fallbacks.
          if ((err.retryAfterMs ?? 0) > this.cfg.maxRetryAfterMs && this.untried(group, tried) === 0) break
        }
      }
      if (last && !last.fallbackable) throw last
    }
    throw last ?? new GatewayError(503, `no deployment could serve "${modelName}"`)
  }

  private untried(group: string, tried: ReadonlySet<string>): number {
    return (this.groups.get(group) ?? []).filter((d) => !tried.has(d.id)).length
  }

  private async waitBeforeRetry(last: UpstreamError, retry: number, sameDeployment: boolean, signal: AbortSignal): Promise<void> {
    // A fresh deployment needs no backoff: the failure was someone else's.
    let wait = this.cfg.retryAfterMs
    if (sameDeployment) {
      const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (retry - 1))
      const jittered = backoff / 2 + (this.random() * backoff) / 2
      wait = Math.max(wait, last.retryAfterMs ?? jittered)
    }
    if (wait <= 0) return
    try {
      await sleep(Math.min(wait, this.cfg.maxRetryAfterMs), undefined, { signal })
    } catch {
      throw new UpstreamError(499, 'the client closed the request', 'aborted')
    }
  }

  /** Untried and rested first; then untried; then any (a retry on the same one). */
  private pick(group: string, tried: ReadonlySet<string>): Deployment {
    const all = this.groups.get(group) ?? []
    let pool = all.filter((d) => !tried.has(d.id) && !this.cooldowns.isCooling(d.id))
    if (pool.length === 0) pool = all.filter((d) => !tried.has(d.id))
    if (pool.length === 0) pool = all.filter((d) => !this.cooldowns.isCooling(d.id))
    if (pool.length === 0) pool = all
    if (pool.length === 1) return pool[0] as Deployment
    return this.cfg.strategy === 'least-busy' ? this.leastBusy(pool) : this.weighted(pool)
  }

  private leastBusy(pool: readonly Deployment[]): Deployment {
    let best: Deployment[] = []
    let min = Infinity
    for (const d of pool) {
      const n = this.inFlight.get(d.id) ?? 0
      if (n < min) {
        min = n
        best = [d]
      } else if (n === min) best.push(d)
    }
    return best[Math.floor(this.random() * best.length)] as Deployment
  }

  private weighted(pool: readonly Deployment[]): Deployment {
    const total = pool.reduce((s, d) => s + d.weight, 0)
    if (total <= 0) return pool[Math.floor(this.random() * pool.length)] as Deployment
    let r = this.random() * total
    for (const d of pool) {
      r -= d.weight
      if (r < 0) return d
    }
    return pool[pool.length - 1] as Deployment
  }
}
