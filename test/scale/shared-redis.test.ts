// The shared-state pieces in one process, against a real Redis (and, for the
// fallbacks, against no Redis at all): budgets counted across "instances"
// whose cached keys are stale, evictions published to every instance and a
// resync after a lost subscription, and calls that fall back at once when
// Redis is not there.
import assert from 'node:assert/strict'
import { after, test, type TestContext } from 'node:test'
import { createServer, type Socket } from 'node:net'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { KeyStore, hashKey } from '../../src/auth/keys.ts'
import type { Db } from '../../src/store/db.ts'
import { KeyQuotas } from '../../src/quotas/key-quotas.ts'
import { RedisCounters } from '../../src/quotas/redis-counters.ts'
import { SharedSpend } from '../../src/quotas/shared-spend.ts'
import { SharedRedis, type SharedOp } from '../../src/shared/redis.ts'
import { createLogger } from '../../src/telemetry/logger.ts'
import { GatewayError } from '../../src/errors.ts'
import { clearOfMinuteEdge, freePort, missing, until, TEST_REDIS_URL } from './support.ts'
import { budgetExceeded, virtualKey } from '../helpers/virtual-key.ts'

const why = missing('PORTCULLIS_TEST_REDIS_URL')
const logger = createLogger({ level: 'silent' })
const opened: SharedRedis[] = []
after(async () => {
  await Promise.all(opened.map((s) => s.close()))
})

function open(url: string, fallbacks: SharedOp[] = []): SharedRedis {
  const s = new SharedRedis({ url, logger, onFallback: (op) => fallbacks.push(op) })
  opened.push(s)
  return s
}

function skipped(t: TestContext): boolean {
  if (why) t.skip(why)
  return why !== undefined
}



test('no Redis at the URL: every use falls back at once and is counted; start-up waits at most the given bound', async () => {
  const fallbacks: SharedOp[] = []
  const s = open(`redis://127.0.0.1:${await freePort()}`, fallbacks)
  const t0 = performance.now()
  assert.equal(await s.ready(300), false)
  assert.ok(performance.now() - t0 < 600)
  const limits = new KeyQuotas(new RedisCounters(s), new SharedSpend(s))
  const k = virtualKey({ rpmLimit: 2, maxBudget: 1 })
  await clearOfMinuteEdge()
  const t1 = performance.now()
  await limits.admit(k)
  await limits.admit(k)
  await assert.rejects(limits.admit(k), (e: unknown) => e instanceof GatewayError && e.status === 429)
  assert.ok(performance.now() - t1 < 100, 'no waiting on a Redis that is not there')
  assert.ok(fallbacks.includes('rate_limit') && fallbacks.includes('budget'), fallbacks.join(','))
})

test('a Redis that accepts connections and never answers: calls fall back at once (the connection never becomes ready)', async () => {
  const sockets = new Set<Socket>()
  const hole = createServer((c) => sockets.add(c))
  hole.listen(0, '127.0.0.1')
  await once(hole, 'listening')
  const fallbacks: SharedOp[] = []
  const s = open(`redis://127.0.0.1:${(hole.address() as { port: number }).port}`, fallbacks)
  assert.equal(await s.ready(300), false)
  const t0 = performance.now()
  assert.equal(await s.run('rate_limit', (r) => r.incr('x')), undefined)
  assert.ok(performance.now() - t0 < 50)
  await s.close()
  for (const c of sockets) c.destroy()
  hole.close()
})

test('budgets across instances: spend recorded on one stops the key on the other, whose cached key is stale', async (t) => {
  if (skipped(t)) return
  const [sa, sb] = [open(TEST_REDIS_URL as string), open(TEST_REDIS_URL as string)]
  assert.ok(await sa.ready(2000))
  assert.ok(await sb.ready(2000))
  const a = new KeyQuotas(new RedisCounters(sa), new SharedSpend(sa))
  const b = new KeyQuotas(new RedisCounters(sb), new SharedSpend(sb))
  // both hold the key as loaded before any call: spend 0
  const k = virtualKey({ maxBudget: 1, budgetResetAt: new Date(Date.now() + 86_400_000) })
  await a.admit(k)
  await a.used(k.hash, 'req-a', 10, 0.6)
  await b.admit(k)
  await b.used(k.hash, 'req-b', 10, 0.6)
  // each alone saw 0.6; together they spent 1.2
  await assert.rejects(a.admit(k), budgetExceeded)
  await assert.rejects(b.admit(k), budgetExceeded)
  // committing (the database now holds the spend) does not count it twice nor drop it
  assert.deepEqual(a.committed('req-a'), { keyHash: k.hash, spend: 0.6 })
  await assert.rejects(b.admit({ ...k, spend: 0.6 }), budgetExceeded)
  // a new budget period is a new counter, seeded with the database's (reset) spend
  await a.admit({ ...k, spend: 0, budgetResetAt: new Date(Date.now() + 2 * 86_400_000) })
  // an absent counter (new, or expired) is seeded from the database's spend as loaded: B loaded 0.99
  const loaded = virtualKey({ maxBudget: 1, spend: 0.99 })
  await b.admit(loaded)
  await b.used(loaded.hash, 'req-c', 10, 0.02)
  // A's cached copy predates it all (spend 0), yet A refuses the key
  await assert.rejects(a.admit({ ...loaded, spend: 0 }), budgetExceeded)
})

test('rate windows across instances: one rpm_limit, and tpm counted from both', async (t) => {
  if (skipped(t)) return
  const [sa, sb] = [open(TEST_REDIS_URL as string), open(TEST_REDIS_URL as string)]
  await Promise.all([sa.ready(2000), sb.ready(2000)])
  const a = new KeyQuotas(new RedisCounters(sa))
  const b = new KeyQuotas(new RedisCounters(sb))
  const k = virtualKey({ tpmLimit: 100 })
  await clearOfMinuteEdge()
  await a.admit(k)
  await a.used(k.hash, 'req-d', 60, 0)
  await b.admit(k)
  await b.used(k.hash, 'req-e', 60, 0)
  await assert.rejects(a.admit(k), (e: unknown) => e instanceof GatewayError && e.status === 429 && /tpm_limit/.test(e.message))
})

test('evictions reach every instance; a lost subscription is followed by a resync', async (t) => {
  if (skipped(t)) return
  const name = `portcullis-test-${randomBytes(4).toString('hex')}`
  const sa = open(TEST_REDIS_URL as string)
  const sb = new SharedRedis({ url: TEST_REDIS_URL as string, logger, name })
  opened.push(sb)
  await Promise.all([sa.ready(2000), sb.ready(2000)])
  const got: string[][] = []
  let resyncs = 0
  sb.onEviction((h) => got.push(h))
  sb.onResync(() => resyncs++)
  const hash = randomBytes(32).toString('hex')
  await sa.publishEviction([hash, 'not-a-hash'])
  await until(() => got.some((h) => h.includes(hash)), 2000, 'the eviction on the other instance')
  assert.ok(got.every((h) => !h.includes('not-a-hash')))

  // the server drops the subscriber connection of B (only: other tests share this Redis): B resubscribes, then forgets its cached keys
  const admin = new Redis(TEST_REDIS_URL as string)
  t.after(() => admin.quit())
  const clients = String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')).split('\n')
  const ids = clients.filter((l) => l.includes(` name=${name} `)).map((l) => /\bid=(\d+)/.exec(l)?.[1])
  assert.equal(ids.length, 1, clients.join('\n'))
  await admin.call('CLIENT', 'KILL', 'ID', ids[0] as string)
  await until(() => resyncs >= 1, 5000, 'the resync after resubscribing')
  const again = randomBytes(32).toString('hex')
  await sa.publishEviction([again])
  await until(() => got.some((h) => h.includes(again)), 2000, 'evictions after the resubscription')
})

test('an eviction that arrives while the key loads does not fail the lookup: it is loaded again, in its new state', async () => {
  // a database whose first lookup is slow; the key is deleted meanwhile
  let exists = true
  let loads = 0
  const row = { key_hash: hashKey('sk-x'), key_alias: null, team_id: null, models: [], guardrails: [], metadata: {}, max_budget: null, budget_duration: null, budget_reset_at: null, spend: 0, rpm_limit: null, tpm_limit: null, expires_at: null, created_at: new Date() }
  const db = {
    kind: 'postgres',
    async query() {
      const n = ++loads
      const snapshot = exists
      if (n === 1) await new Promise((r) => setTimeout(r, 100))
      return snapshot ? [row] : []
    },
  } as unknown as Db
  const store = new KeyStore(async () => db, 60_000)
  const pending = store.lookup('sk-x')
  await new Promise((r) => setTimeout(r, 20))
  exists = false
  store.evict(hashKey('sk-x'))
  assert.equal(await pending, undefined, 'the load begun before the deletion is not the answer')
  assert.equal(loads, 2)
  assert.equal(await store.lookup('sk-x'), undefined)
})
