// The lookup cache of the Hlido guardrail, behind a get-or-load interface: an
// in-memory cache, in front of one shared between gateway instances (Redis,
// when REDIS_URL is set) so a slug one instance looked up is not looked up by
// the others.
//
// The in-memory cache is an LRU (bounded by `max` entries) with a TTL; its
// fetch() coalesces concurrent misses for one slug into one load, so a cold
// slug under load costs one lookup, not one per request. Answers (an agent's
// record, or "unverified" for a 404) are cached; failures are not.
import { LRUCache } from 'lru-cache'
import type { SharedStore } from '../../factory.ts'

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

/**
 * The memory cache in front of a shared one: a miss here asks the shared
 * store before loading, and a load is written there for the other instances.
 * An entry taken from the shared store lives here only for what is left of
 * its lifetime there. With no store (no Redis) or an unavailable one, this is
 * the memory cache alone. `namespace` keeps apart
 * the answers of different services (api_base).
 */
export function sharedCache(opts: { max: number; ttlMs: number; load: Loader; namespace: string; store: SharedStore | undefined }): TrustCache {
  const keyOf = (slug: string): string => `${opts.namespace}:${slug}`
  const lru = new LRUCache<string, Lookup>({
    max: opts.max,
    ttl: opts.ttlMs,
    ignoreFetchAbort: true,
    fetchMethod: async (slug, _stale, { options }) => {
      const store = opts.store
      const hit = store ? await store.get(keyOf(slug)) : undefined
      const shared = hit ? parseLookup(hit.value) : undefined
      if (hit && shared) {
        options.ttl = Math.max(1, Math.min(opts.ttlMs, hit.ttlMs))
        return shared
      }
      const v = await opts.load(slug)
      // awaited (bounded), so an instance asked right after this answer finds it
      if (store) await store.set(keyOf(slug), JSON.stringify(v), opts.ttlMs)
      return v
    },
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

/** A shared entry, checked as strictly as an answer of the service: a bad one is a miss. */
function parseLookup(text: string): Lookup | undefined {
  try {
    const v = JSON.parse(text) as { kind?: unknown; agent?: Partial<AgentRecord> }
    if (v.kind === 'unverified') return { kind: 'unverified' }
    const a = v.agent
    if (v.kind !== 'found' || !a || typeof a.slug !== 'string' || typeof a.score !== 'number' || !(a.score >= 0 && a.score <= 100)) return undefined
    const agent: AgentRecord = { slug: a.slug, score: a.score }
    if (typeof a.tier === 'string') agent.tier = a.tier
    if (typeof a.name === 'string') agent.name = a.name
    if (typeof a.evidence_url === 'string') agent.evidence_url = a.evidence_url
    return { kind: 'found', agent }
  } catch {
    return undefined
  }
}
