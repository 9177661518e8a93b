// Virtual keys. A key is shown once, at generation; only its SHA-256 hash is
// stored and compared, so a key never appears in a row, a log or an error.
// Lookups go through a small LRU cache; deleting a key evicts it at once here
// (and, with Redis, on every instance through the revocation channel).
import { createHash, randomBytes } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { Db } from '../store/db.ts'
import { parseDuration } from './duration.ts'

export interface VirtualKey {
  hash: string
  alias: string | null
  teamId: string | null
  /** allowed model names; empty = every model */
  models: string[]
  /** guardrails bound to the key: they run on every call it makes */
  guardrails: string[]
  metadata: Record<string, unknown>
  maxBudget: number | null
  budgetDuration: string | null
  budgetResetAt: Date | null
  /** committed spend (the database's) */
  spend: number
  rpmLimit: number | null
  tpmLimit: number | null
  expiresAt: Date | null
  createdAt: Date
}

export interface KeyInput {
  models?: string[]
  guardrails?: string[]
  metadata?: Record<string, unknown>
  max_budget?: number | null
  budget_duration?: string | null
  rpm_limit?: number | null
  tpm_limit?: number | null
  /** expiry from now ("30d"); null clears it */
  duration?: string | null
  key_alias?: string | null
  team_id?: string | null
}

export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex')

interface Row {
  key_hash: string
  key_alias: string | null
  team_id: string | null
  models: unknown
  guardrails: unknown
  metadata: unknown
  max_budget: number | null
  budget_duration: string | null
  budget_reset_at: string | Date | null
  spend: number
  rpm_limit: number | null
  tpm_limit: number | null
  expires_at: string | Date | null
  created_at: string | Date
}

const json = <T>(v: unknown, fallback: T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : ((v as T) ?? fallback))
const date = (v: string | Date | null): Date | null => (v === null ? null : new Date(v))

function fromRow(r: Row): VirtualKey {
  return {
    hash: r.key_hash,
    alias: r.key_alias,
    teamId: r.team_id,
    models: json<string[]>(r.models, []),
    guardrails: json<string[]>(r.guardrails, []),
    metadata: json<Record<string, unknown>>(r.metadata, {}),
    maxBudget: r.max_budget === null ? null : Number(r.max_budget),
    budgetDuration: r.budget_duration,
    budgetResetAt: date(r.budget_reset_at),
    spend: Number(r.spend),
    rpmLimit: r.rpm_limit,
    tpmLimit: r.tpm_limit,
    expiresAt: date(r.expires_at),
    createdAt: new Date(r.created_at),
  }
}

export class KeyStore {
  private readonly db: () => Promise<Db>
  private readonly cache: LRUCache<string, VirtualKey | false>

  /** `db` resolves once storage is open (the hot path never waits for it unless a virtual key is used) */
  constructor(db: () => Promise<Db>, cacheTtlMs: number) {
    this.db = db
    this.cache = new LRUCache<string, VirtualKey | false>({
      max: 10_000,
      ttl: cacheTtlMs,
      // an entry that aged out stays when its reload fails (see fetch())
      noDeleteOnFetchRejection: true,
      // concurrent lookups of one key make one query
      fetchMethod: async (hash) => (await this.load(hash)) ?? false,
    })
  }

  /** The key behind a bearer token, or undefined. */
  async lookup(token: string): Promise<VirtualKey | undefined> {
    const hash = hashKey(token)
    const found = await this.fetch(hash)
    // A cached key whose budget period has ended carries the old period's spend
    // (the reset happens in load()): without reloading, a key used after its
    // reset time was refused budget_exceeded until its cache entry went away.
    if (found && found.budgetResetAt && found.budgetResetAt.getTime() <= Date.now()) {
      this.evict(hash)
      return (await this.fetch(hash)) || undefined
    }
    return found || undefined
  }

  /**
   * The cache's fetch, made again when an eviction (the key was deleted or
   * changed, here or on another instance) aborted the load in flight: the
   * caller gets the key's new state, not a storage error, and a load begun
   * before the change is never cached.
   */
  private async fetch(hash: string): Promise<VirtualKey | false | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.cache.fetch(hash)
      } catch (err) {
        const aborted = err instanceof Error && ['deleted', 'evicted', 'replaced'].includes(err.message)
        if (!aborted) {
          // The database cannot be reached: a key whose entry merely aged out keeps
          // its last known state rather than being refused. A deleted or changed key
          // was evicted, so it has no entry and the error stands (never a pass).
          const last = this.cache.peek(hash, { allowStale: true })
          if (last !== undefined) return last
          throw err
        }
        if (attempt >= 3) throw err
      }
    }
  }

  /** Spend of this key's calls that reached the database: the cached key counts it, its age unchanged. */
  addCommittedSpend(hash: string, spend: number): void {
    const k = this.cache.peek(hash, { allowStale: true })
    if (k) this.cache.set(hash, { ...k, spend: k.spend + spend }, { noUpdateTTL: true })
  }

  evict(hash: string): void {
    this.cache.delete(hash)
  }

  /** Forgets every cached key (evictions from other instances may have been missed). */
  evictAll(): void {
    this.cache.clear()
  }

  /** The revocation hook: runs (awaited, must not throw) after keys were deleted or changed here; with Redis it tells every instance to evict them. */
  onChanged: ((hashes: readonly string[]) => Promise<void>) | undefined = undefined

  async generate(input: KeyInput): Promise<{ key: string; info: VirtualKey }> {
    const key = 'sk-' + randomBytes(24).toString('base64url')
    const hash = hashKey(key)
    // after the database is open: on a first start that can take seconds, and expiry counts from creation
    const db = await this.db()
    const now = Date.now()
    const expires = input.duration ? new Date(now + (parseDuration(input.duration) as number)) : null
    const reset = input.budget_duration ? new Date(now + (parseDuration(input.budget_duration) as number)) : null
    const rows = await db.query<Row>(
      `insert into keys (key_hash, key_alias, team_id, models, guardrails, metadata, max_budget, budget_duration, budget_reset_at, rpm_limit, tpm_limit, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning *`,
      [hash, input.key_alias ?? null, input.team_id ?? null, JSON.stringify(input.models ?? []), JSON.stringify(input.guardrails ?? []), JSON.stringify(input.metadata ?? {}),
        input.max_budget ?? null, input.budget_duration ?? null, reset, input.rpm_limit ?? null, input.tpm_limit ?? null, expires],
    )
    return { key, info: fromRow(rows[0] as Row) }
  }

  async update(hash: string, input: KeyInput): Promise<VirtualKey | undefined> {
    const sets: string[] = []
    const params: unknown[] = []
    const set = (column: string, value: unknown): void => {
      params.push(value)
      sets.push(`${column} = $${params.length}`)
    }
    if (input.models !== undefined) set('models', JSON.stringify(input.models))
    if (input.guardrails !== undefined) set('guardrails', JSON.stringify(input.guardrails))
    if (input.metadata !== undefined) set('metadata', JSON.stringify(input.metadata))
    if (input.max_budget !== undefined) set('max_budget', input.max_budget)
    if (input.budget_duration !== undefined) {
      set('budget_duration', input.budget_duration)
      set('budget_reset_at', input.budget_duration ? new Date(Date.now() + (parseDuration(input.budget_duration) as number)) : null)
    }
    if (input.rpm_limit !== undefined) set('rpm_limit', input.rpm_limit)
    if (input.tpm_limit !== undefined) set('tpm_limit', input.tpm_limit)
    if (input.duration !== undefined) set('expires_at', input.duration ? new Date(Date.now() + (parseDuration(input.duration) as number)) : null)
    if (input.key_alias !== undefined) set('key_alias', input.key_alias)
    if (input.team_id !== undefined) set('team_id', input.team_id)
    params.push(hash)
    const rows = await (await this.db()).query<Row>(`update keys set ${[...sets, 'updated_at = now()'].join(', ')} where key_hash = $${params.length} returning *`, params)
    this.evict(hash)
    await this.onChanged?.([hash])
    return rows[0] ? fromRow(rows[0]) : undefined
  }

  /** Deletes by hash; returns the hashes that existed. */
  async delete(hashes: readonly string[]): Promise<string[]> {
    if (hashes.length === 0) return []
    const rows = await (await this.db()).query<{ key_hash: string }>('delete from keys where key_hash = any($1::text[]) returning key_hash', [hashes])
    for (const h of hashes) this.evict(h)
    await this.onChanged?.(hashes)
    return rows.map((r) => r.key_hash)
  }

  async hashesForAliases(aliases: readonly string[]): Promise<string[]> {
    if (aliases.length === 0) return []
    return (await (await this.db()).query<{ key_hash: string }>('select key_hash from keys where key_alias = any($1::text[])', [aliases])).map((r) => r.key_hash)
  }

  async info(hash: string): Promise<VirtualKey | undefined> {
    return this.load(hash)
  }

  async list(page: number, size: number): Promise<{ keys: VirtualKey[]; total: number }> {
    const db = await this.db()
    const total = Number((await db.query<{ n: string | number }>('select count(*) as n from keys'))[0]?.n ?? 0)
    const rows = await db.query<Row>('select * from keys order by created_at desc limit $1 offset $2', [size, (page - 1) * size])
    return { keys: rows.map(fromRow), total }
  }

  /** Loads a key, starting a new budget period first when the last one ended. */
  private async load(hash: string): Promise<VirtualKey | undefined> {
    const db = await this.db()
    const row = (await db.query<Row>('select * from keys where key_hash = $1', [hash]))[0]
    if (!row) return undefined
    const k = fromRow(row)
    if (!k.budgetResetAt || k.budgetResetAt.getTime() > Date.now()) return k
    const period = k.budgetDuration ? parseDuration(k.budgetDuration) : undefined
    const next = period ? new Date(Date.now() + period) : null
    // matching the old reset time makes one instance reset the period when several race
    const reset = await db.query<Row>('update keys set spend = 0, budget_reset_at = $1 where key_hash = $2 and budget_reset_at = $3 returning *', [next, hash, row.budget_reset_at])
    if (reset[0]) return fromRow(reset[0])
    const again = (await db.query<Row>('select * from keys where key_hash = $1', [hash]))[0]
    return again ? fromRow(again) : undefined
  }
}
