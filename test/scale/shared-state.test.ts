// Two gateway instances (real processes) sharing one PostgreSQL and one Redis
// behave as one: keys made on one work on the other, rate limits and budgets
// count across both, a deleted key is refused everywhere at once, and the
// Hlido trust lookups are shared.
import assert from 'node:assert/strict'
import { after, before, test, type TestContext } from 'node:test'
import { startFakeHlido, type FakeHlido } from '../servers/fake-hlido.ts'
import { MASTER_KEY, TEST_DATABASE_URL, TEST_REDIS_URL, clearOfMinuteEdge, configFile, freshDatabase, missing, startInstance, type Instance } from './support.ts'
import { sumOf } from '../helpers/prometheus.ts'

const why = missing('PORTCULLIS_TEST_DATABASE_URL', 'PORTCULLIS_TEST_REDIS_URL')
let a: Instance
let b: Instance
let hlido: FakeHlido
const cleanup: Array<() => Promise<void>> = []

before(async () => {
  if (why) return
  hlido = await startFakeHlido()
  cleanup.push(() => hlido.close())
  const db = await freshDatabase(TEST_DATABASE_URL as string)
  cleanup.push(db.drop)
  const config = configFile(`
model_list:
  - model_name: echo
    litellm_params: { model: echo/echo, input_cost_per_token: 0.001, output_cost_per_token: 0.001 }
guardrails:
  - guardrail_name: trust
    litellm_params:
      guardrail: hlido
      mode: pre_call
      default_on: true
      api_base: ${hlido.url}
      on_missing_subject: allow
general_settings:
  master_key: ${MASTER_KEY}
`)
  const env = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL }
  ;[a, b] = await Promise.all([startInstance('a', config, env), startInstance('b', config, env)])
  cleanup.unshift(() => a.stop(), () => b.stop())
})

after(async () => {
  for (const c of cleanup) await c().catch(() => {})
})

async function generate(on: Instance, fields: Record<string, unknown>): Promise<string> {
  const r = await on.admin('/key/generate', fields)
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return r.body.key as string
}

/** the instances' warnings (they log at warn and above), for failure messages */
const warnings = (): string => [a, b].map((i) => `${i.name}: ${i.output().slice(-2000)}`).join('\n')

function skipped(t: TestContext): boolean {
  if (why) t.skip(why)
  return why !== undefined
}

test('a key made on A works on B, and one rpm_limit counts across both (A, B, A, B: the 4th is 429)', async (t) => {
  if (skipped(t)) return
  const key = await generate(a, { rpm_limit: 3 })
  await clearOfMinuteEdge()
  const statuses: number[] = []
  for (const on of [a, b, a, b]) statuses.push((await on.call(key)).status)
  assert.deepEqual(statuses, [200, 200, 200, 429])
  const again = await a.call(key)
  assert.equal(again.status, 429)
  assert.match(String((again.body.error as { message?: string }).message), /rpm_limit of 3/)
  assert.ok(Number(again.headers.get('retry-after')) >= 1)
})

test('a key deleted on A is refused on B at once; a key changed on A changes on B at once', async (t) => {
  if (skipped(t)) return
  const key = await generate(a, {})
  const other = await generate(a, {})
  // both instances have the keys in their caches now
  for (const on of [a, b]) {
    for (const k of [key, other]) {
      const r = await on.call(k)
      assert.equal(r.status, 200, `${on.name}: ${JSON.stringify(r.body)}\n${warnings()}`)
    }
  }
  const del = await a.admin('/key/delete', { keys: [key] })
  assert.equal(del.status, 200)
  const onB = await b.call(key)
  assert.equal(onB.status, 401, `B refuses the deleted key without waiting for its cache: ${JSON.stringify(onB.body)}\n${warnings()}`)
  const onA = await a.call(key)
  assert.equal(onA.status, 401, `${JSON.stringify(onA.body)}\n${warnings()}`)

  // a change is an eviction too: B does not keep serving the old policy (no rpm_limit: its calls were not counted)
  await clearOfMinuteEdge()
  assert.equal((await a.admin('/key/update', { key: other, rpm_limit: 1 })).status, 200)
  assert.equal((await b.call(other)).status, 200)
  assert.equal((await b.call(other)).status, 429, 'B applies the new rpm_limit at once')
})

test('the Hlido trust cache is shared: B does not look up an agent A already looked up', async (t) => {
  if (skipped(t)) return
  const trusted = await generate(a, { metadata: { hlido_slugs: ['steady-one'] } })
  const untrusted = await generate(a, { metadata: { hlido_slugs: ['klariqo'] } })
  assert.equal((await a.call(trusted)).status, 200)
  assert.equal(hlido.lookups('steady-one'), 1)
  assert.equal((await b.call(trusted)).status, 200)
  assert.equal((await b.call(trusted)).status, 200)
  assert.equal(hlido.lookups('steady-one'), 1, 'B answered from the shared cache')

  const blockedA = await a.call(untrusted)
  assert.equal(blockedA.status, 400)
  const blockedB = await b.call(untrusted)
  assert.equal(blockedB.status, 400)
  assert.match(JSON.stringify(blockedB.body), /klariqo.*scores 58/)
  assert.equal(hlido.lookups('klariqo'), 1)
})

test('a budget counts across instances: spend recorded on A stops the key on B at once', async (t) => {
  if (skipped(t)) return
  // one echo call costs $0.006 here (6 tokens at $0.001): A reaches the budget in a few calls
  const key = await generate(a, { max_budget: 0.05 })
  // B loads the key (spend 0) and keeps it cached
  assert.equal((await b.call(key)).status, 200)
  let calls = 1
  // spend on A until the shared spend passes the budget
  for (;;) {
    const r = await a.call(key)
    if (r.status !== 200) {
      assert.equal((r.body.error as { code?: string }).code, 'budget_exceeded', `${JSON.stringify(r.body)}\n${warnings()}`)
      break
    }
    calls++
    assert.ok(calls < 20, 'A never reached the budget')
  }
  const refused = await b.call(key)
  assert.equal(refused.status, 400, `${JSON.stringify(refused.body)}\n${warnings()}`)
  assert.equal((refused.body.error as { code?: string }).code, 'budget_exceeded')
})

test('no fallbacks while Redis is up; both instances report it up', async (t) => {
  if (skipped(t)) return
  for (const on of [a, b]) {
    const m = await on.metrics()
    assert.equal(sumOf(m, 'portcullis_redis_up'), 1)
    assert.equal(sumOf(m, 'portcullis_redis_fallback_total'), 0, `${m.split('\n').filter((l) => l.includes('redis')).join('\n')}\n${warnings()}`)
  }
})
