// PostgreSQL stopped for 10 s while two instances serve a steady load: calls
// go on being answered (their records wait in each instance's journal), and
// once the database is back every answered call's record is there exactly
// once — from both instances — and each key's spend counts each call once.
// The test runs a PostgreSQL cluster of its own, so stopping it disturbs no
// other test.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import pg from 'pg'
import { MASTER_KEY, TEST_PG_BIN, configFile, missing, startInstance, startOwnPostgres, until, type Instance } from './support.ts'

const why = missing('PORTCULLIS_TEST_PG_BIN')
const OUTAGE_MS = 10_000

interface Sent {
  id: string
  on: Instance
  virtual: boolean
  status: number
  at: number
}

test('PostgreSQL stopped for 10 s under load: every answered call is recorded once, from both instances', async (t) => {
  if (why) {
    t.skip(why)
    return
  }
  // undone last first: clients, then instances, then the cluster
  const cleanup: Array<() => Promise<unknown>> = []
  t.after(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {})
  })
  const cluster = await startOwnPostgres(TEST_PG_BIN as string)
  cleanup.push(() => cluster.destroy())
  const config = configFile(`
model_list:
  - model_name: echo
    litellm_params: { model: echo/echo, input_cost_per_token: 0.001, output_cost_per_token: 0.001 }
general_settings:
  master_key: ${MASTER_KEY}
`)
  const env = { DATABASE_URL: cluster.url }
  const [a, b] = await Promise.all([startInstance('a', config, env), startInstance('b', config, env)])
  cleanup.push(() => Promise.all([a.stop(), b.stop()]))
  const gen = await a.admin('/key/generate', { key_alias: 'outage' })
  assert.equal(gen.status, 200, JSON.stringify(gen.body))
  const key = gen.body.key as string
  const keyHash = gen.body.token as string | undefined

  const sent: Sent[] = []
  const errors = new Map<string, number>()
  let n = 0
  let running = true
  // four clients, alternating instances and keys (the master key, and a virtual key whose spend is checked)
  const worker = async (): Promise<void> => {
    while (running) {
      const i = n++
      const on = i % 2 === 0 ? a : b
      const virtual = i % 3 === 0
      const id = `outage-${i}`
      const at = Date.now()
      const r = await on.call(virtual ? key : MASTER_KEY, {}, { 'x-request-id': id }).catch((err: Error) => ({ status: 0, err: String(err.cause ?? err) }))
      if ('err' in r && sent.length < 3000 && !errors.has(r.err)) errors.set(r.err, i)
      sent.push({ id, on, virtual, status: r.status, at })
      await new Promise((res) => setTimeout(res, 25))
    }
  }
  const workers = Promise.all([worker(), worker(), worker(), worker()])

  await new Promise((r) => setTimeout(r, 1500))
  await cluster.stop()
  const down = Date.now()
  await new Promise((r) => setTimeout(r, OUTAGE_MS))
  const upAgain = Date.now()
  await cluster.start()
  await new Promise((r) => setTimeout(r, 1500))
  running = false
  await workers

  for (const on of [a, b]) {
    assert.equal(on.child.exitCode ?? on.child.signalCode, null, `instance ${on.name} died:\n${on.output().slice(-3000)}`)
  }
  const duringOutage = sent.filter((s) => s.at > down && s.at < upAgain)
  assert.ok(duringOutage.filter((s) => s.status === 200).length > 50, `calls answered while PostgreSQL was down: ${duringOutage.filter((s) => s.status === 200).length}`)
  assert.equal(sent.filter((s) => s.status === 0).length, 0, `no call went unanswered: ${[...errors.keys()].join('; ')}`)
  // every answer is recorded (none here is a 401, the one status that is not)
  const answered = sent.filter((s) => s.status !== 0)
  assert.ok(answered.every((s) => s.status === 200 || s.status === 503), `statuses: ${[...new Set(answered.map((s) => s.status))].join(', ')}`)

  const db = new pg.Client({ connectionString: cluster.url })
  db.on('error', () => {})
  await db.connect()
  cleanup.push(() => db.end())
  const ids = answered.map((s) => s.id)
  let found = new Map<string, number>()
  await until(async () => {
    const rows = (await db.query<{ request_id: string; n: string }>('select request_id, count(*) as n from requests where request_id = any($1::text[]) group by request_id', [ids])).rows
    found = new Map(rows.map((r) => [r.request_id, Number(r.n)]))
    return found.size === ids.length
  }, 30_000, `every answered call's record (${ids.length}) in the database`).catch((err: Error) => {
    const lost = ids.filter((id) => !found.has(id))
    throw new Error(`${err.message}: ${lost.length} missing, e.g. ${lost.slice(0, 5).join(', ')}`)
  })
  assert.ok([...found.values()].every((c) => c === 1))
  for (const on of [a, b]) assert.ok(answered.some((s) => s.on === on && found.has(s.id)), `records from instance ${on.name}`)

  // spend: each of the key's recorded calls counted once in the key's spend (replays and retries add nothing)
  const hash = keyHash ?? (await db.query<{ key_hash: string }>("select key_hash from keys where key_alias = 'outage'")).rows[0]?.key_hash
  const spend = await db.query<{ recorded: number; key: number; calls: string }>(
    'select coalesce(sum(r.spend), 0) as recorded, (select spend from keys where key_hash = $1) as key, count(*) as calls from requests r where r.key_hash = $1',
    [hash],
  )
  const row = spend.rows[0]
  assert.ok(row && Number(row.calls) > 0)
  assert.ok(Math.abs(Number(row.recorded) - Number(row.key)) < 1e-9, `key spend ${row.key} vs recorded ${row.recorded}`)
  t.diagnostic(`${answered.length} calls, ${duringOutage.length} during the outage; ${row.calls} with the virtual key`)
})
