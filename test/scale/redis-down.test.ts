// Redis down is never an outage: calls are answered, promptly, with limits
// held per instance (the documented fallback), and every fallback is counted
// in /metrics. Covers a Redis that was never there, one that hangs (SIGSTOP:
// commands time out) and comes back, and one that dies (SIGKILL).
import assert from 'node:assert/strict'
import { after, test, type TestContext } from 'node:test'
import { sumOf } from '../helpers/prometheus.ts'
import {
  MASTER_KEY, TEST_DATABASE_URL, TEST_REDIS_SERVER, clearOfMinuteEdge, configFile, freePort, freshDatabase, missing, startInstance, startOwnRedis, until, type Instance,
} from './support.ts'

const why = missing('PORTCULLIS_TEST_DATABASE_URL', 'PORTCULLIS_TEST_REDIS_SERVER')
const cleanup: Array<() => Promise<void>> = []
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {})
})

const CONFIG = `
model_list:
  - model_name: echo
    litellm_params: { model: echo/echo }
general_settings:
  master_key: ${MASTER_KEY}
`

function skipped(t: TestContext): boolean {
  if (why) t.skip(why)
  return why !== undefined
}

async function pair(redisUrl: string): Promise<[Instance, Instance]> {
  const db = await freshDatabase(TEST_DATABASE_URL as string)
  cleanup.push(db.drop)
  const config = configFile(CONFIG)
  const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl }
  const both = await Promise.all([startInstance('a', config, env), startInstance('b', config, env)])
  cleanup.push(() => both[0].stop(), () => both[1].stop())
  return both
}

async function generate(on: Instance, fields: Record<string, unknown>): Promise<string> {
  const r = await on.admin('/key/generate', fields)
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return r.body.key as string
}

/** The statuses of calls made in turn, each answered within `ms`. */
async function statuses(calls: Array<[Instance, string]>, ms = 1500): Promise<number[]> {
  const out: number[] = []
  for (const [on, key] of calls) {
    const t0 = performance.now()
    out.push((await on.call(key)).status)
    const took = performance.now() - t0
    assert.ok(took < ms, `a call on ${on.name} took ${Math.round(took)} ms`)
  }
  return out
}

test('Redis never reachable: instances start, answer, hold limits per instance and count the fallbacks', async (t) => {
  if (skipped(t)) return
  const closed = await freePort()
  const t0 = Date.now()
  const [a, b] = await pair(`redis://127.0.0.1:${closed}`)
  assert.ok(Date.now() - t0 < 15_000)
  const key = await generate(a, { rpm_limit: 2 })
  await clearOfMinuteEdge()
  // each instance allows the full limit on its own
  assert.deepEqual(await statuses([[a, key], [a, key], [a, key], [b, key], [b, key], [b, key]]), [200, 200, 429, 200, 200, 429])
  for (const on of [a, b]) {
    const m = await on.metrics()
    assert.ok(sumOf(m, 'portcullis_redis_fallback_total', { op: 'rate_limit' }) >= 3, m)
    assert.equal(sumOf(m, 'portcullis_redis_up'), 0)
  }
  assert.match(a.output(), /Redis unavailable: falling back to per-instance/)
})

test('Redis hangs, comes back, then dies: calls are answered throughout; shared limits while it answers, per-instance ones while it does not', async (t) => {
  if (skipped(t)) return
  const redis = await startOwnRedis(TEST_REDIS_SERVER as string)
  cleanup.push(redis.stop)
  const [a, b] = await pair(redis.url)

  // up: one limit across both
  const shared = await generate(a, { rpm_limit: 2 })
  await clearOfMinuteEdge()
  assert.deepEqual(await statuses([[a, shared], [b, shared], [a, shared]]), [200, 200, 429])

  // hung: every command would wait; the timeout and the breaker keep calls prompt
  const hung = await generate(a, { rpm_limit: 2 })
  await clearOfMinuteEdge()
  process.kill(redis.pid, 'SIGSTOP')
  try {
    assert.deepEqual(await statuses([[a, hung], [a, hung], [a, hung], [b, hung], [b, hung], [b, hung]]), [200, 200, 429, 200, 200, 429])
    const m = await a.metrics()
    assert.ok(sumOf(m, 'portcullis_redis_fallback_total', { op: 'rate_limit' }) >= 1, m)
  } finally {
    process.kill(redis.pid, 'SIGCONT')
  }

  // back: shared again once the breaker lets calls through
  await until(async () => {
    const probe = await generate(a, { rpm_limit: 1 })
    await clearOfMinuteEdge()
    const [first, second] = await statuses([[a, probe], [b, probe]])
    return first === 200 && second === 429
  }, 10_000, 'limits to be shared again after Redis came back')

  // dead: connection refused, immediate fallback
  const dead = await generate(a, { rpm_limit: 2 })
  // the calls before and after Redis dies must fall in one minute
  await clearOfMinuteEdge(8000)
  assert.deepEqual(await statuses([[a, dead], [b, dead]]), [200, 200])
  const before = sumOf(await b.metrics(), 'portcullis_redis_fallback_total')
  process.kill(redis.pid, 'SIGKILL')
  await until(async () => sumOf(await a.metrics(), 'portcullis_redis_up') === 0 && sumOf(await b.metrics(), 'portcullis_redis_up') === 0, 5000, 'the instances to see Redis gone')
  // each instance counted one call before Redis died; now each allows one more of its own
  assert.deepEqual(await statuses([[a, dead], [a, dead], [b, dead], [b, dead]], 500), [200, 429, 200, 429])
  assert.ok(sumOf(await b.metrics(), 'portcullis_redis_fallback_total') > before)
  // the master key and the admin routes never depended on Redis
  assert.equal((await a.call(MASTER_KEY)).status, 200)
  assert.equal((await a.admin('/key/delete', { keys: [dead] })).status, 200)
})
