// The lookup cache of the Hlido guardrail, behind a get-or-load interface so a
// cache shared between gateway instances (Redis, when REDIS_URL is set) can
// replace the in-memory one without touching the guardrail.
//
// The in-memory cache is an LRU (bounded by `max` entries) with a TTL; its
// fetch() coalesces concurrent misses for one slug into one load, so a cold
// slug under load costs one lookup, not one per request. Answers (an agent's
// record, or "unverified" for a 404) are cached; failures are not.
import { LRUCache } from 'lru-cache'

export interface AgentRecord {
  slug: string
  score: number
  /** as the service sent it, upper-cased; absent when the answer had none */
  tier?: string
  name?: string
  evidence_url?: string
}

export type Lookup = { kind: 'found'; agent: AgentRecord } | { kind: 'unverified' }

export interface TrustCache {
  /** The answer for `slug`: cached, or loaded once for every concurrent caller. Rejects with the load's error (not cached). */
  get(slug: string): Promise<Lookup>
  clear(): void
}

/** Loads one slug; bounded by the service client's own timeout. */
export type Loader = (slug: string) => Promise<Lookup>

export function memoryCache(opts: { max: number; ttlMs: number; load: Loader }): TrustCache {
  const lru = new LRUCache<string, Lookup>({
    max: opts.max,
    ttl: opts.ttlMs,
    // a load evicted by newer slugs before it finished still answers the callers waiting for it
    ignoreFetchAbort: true,
    fetchMethod: (slug) => opts.load(slug),
  })
  return {
    async get(slug) {
      const v = await lru.fetch(slug)
      if (v === undefined) throw new Error(`lookup of ${JSON.stringify(slug)} was abandoned`)
      return v
    },
    clear: () => lru.clear(),
  }
}
