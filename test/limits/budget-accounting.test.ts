// A key's budget between "recorded" and "committed", and its cached state
// while the database is away: the spend a process counted is moved to the
// key's committed spend exactly once (records replayed from an earlier run are
// not this process's to move), and a key whose cache entry aged out is served
// from its last known state when the database cannot be reached, not refused.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { hashKey, KeyStore } from '../../src/auth/keys.ts'
import { LocalCounters } from '../../src/quotas/counters.ts'
import { KeyQuotas } from '../../src/quotas/key-quotas.ts'
import type { Db, Queryable } from '../../src/store/db.ts'
import { budgetExceeded, virtualKey } from '../helpers/virtual-key.ts'



test('committing a record this process never counted (replayed from an earlier run) leaves its uncommitted spend alone', async () => {
  const limits = new KeyQuotas(new LocalCounters())
  const k = virtualKey({ maxBudget: 1 })
  await limits.admit(k)
  await limits.used(k.hash, 'mine-1', 0, 0.6)
  assert.equal(limits.committed('replayed-from-before'), undefined)
  await limits.admit(k)
  await limits.used(k.hash, 'mine-2', 0, 0.5)
  await assert.rejects(limits.admit(k), budgetExceeded, '0.6 + 0.5 recorded, none committed: over 1')
  // the database now holds mine-1: the key (reloaded or updated) has spend 0.6, 0.5 is still pending
  assert.deepEqual(limits.committed('mine-1'), { keyHash: k.hash, spend: 0.6 })
  await assert.rejects(limits.admit({ ...k, spend: 0.6 }), budgetExceeded)
  assert.equal(limits.committed('mine-1'), undefined, 'moved once only')
  assert.deepEqual(limits.committed('mine-2'), { keyHash: k.hash, spend: 0.5 })
  await assert.rejects(limits.admit({ ...k, spend: 1.1 }), budgetExceeded)
  // with nothing pending, the committed spend alone decides
  await limits.admit({ ...k, spend: 0.9 })
})

/** A keys table in memory behind the Db interface, which can be taken down. */
function memoryDb(rows: Map<string, Record<string, unknown>>): { db: Db; down: (isDown: boolean) => void; reads: () => number } {
  let isDown = false
  let reads = 0
  const q: Queryable = {
    async query<T extends object>(sql: string, params?: readonly unknown[]): Promise<T[]> {
      if (isDown) throw new Error('connect ECONNREFUSED 127.0.0.1:5432')
      assert.match(sql, /^select \* from keys where key_hash = \$1$/)
      reads++
      const row = rows.get(String(params?.[0]))
      return (row ? [row] : []) as T[]
    },
    exec: async () => {},
  }
  return {
    db: { kind: 'postgres', ...q, transaction: (fn) => fn(q), close: async () => {} },
    down: (d) => (isDown = d),
    reads: () => reads,
  }
}

function row(hash: string, spend: number): Record<string, unknown> {
  return {
    key_hash: hash,
    key_alias: 'team-a',
    team_id: null,
    models: [],
    guardrails: [],
    metadata: {},
    max_budget: 10,
    budget_duration: null,
    budget_reset_at: null,
    spend,
    rpm_limit: null,
    tpm_limit: null,
    expires_at: null,
    created_at: new Date().toISOString(),
  }
}

test('a cached key aged out while the database is down keeps working on its last known state; a deleted one does not', async () => {
  const token = 'sk-' + randomBytes(16).toString('hex')
  const hash = hashKey(token)
  const rows = new Map([[hash, row(hash, 1)]])
  const mem = memoryDb(rows)
  const store = new KeyStore(async () => mem.db, 50)
  assert.equal((await store.lookup(token))?.spend, 1)
  mem.down(true)
  await sleep(80)
  const stale = await store.lookup(token)
  assert.equal(stale?.alias, 'team-a', 'served from the last known state, not refused')
  // a deletion evicts: with the database away it cannot be checked, so it is an error, never a pass
  store.evict(hash)
  await assert.rejects(store.lookup(token), /ECONNREFUSED/)
  mem.down(false)
  assert.equal((await store.lookup(token))?.spend, 1)
})

test('committed spend updates the cached key without a database read', async () => {
  const token = 'sk-' + randomBytes(16).toString('hex')
  const hash = hashKey(token)
  const mem = memoryDb(new Map([[hash, row(hash, 2)]]))
  const store = new KeyStore(async () => mem.db, 60_000)
  assert.equal((await store.lookup(token))?.spend, 2)
  const reads = mem.reads()
  store.addCommittedSpend(hash, 0.25)
  store.addCommittedSpend('not-cached', 1)
  assert.equal((await store.lookup(token))?.spend, 2.25)
  assert.equal(mem.reads(), reads)
})
