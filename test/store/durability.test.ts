// Records that are never lost, through the real CLI in a child process with
// embedded PGlite in a data dir that starts empty: 30 answered calls, then
// kill -9 of the gateway; a restart on the same data dir holds every one of
// them exactly once (and the key's spend counts each once). Then SIGTERM: the
// answered calls are flushed to the database before the process exits.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import OpenAI from 'openai'
import { serveCli, type Served } from '../helpers/spawn.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../servers/fake-openai.ts'
import { call, dataDir, generateKey, MASTER, removeDir, spendLogs, type GeneratedKey, type SpendLog } from './support.ts'

/** Records waiting in the journal's segment files of `dir`. */
function journalLines(dir: string): number {
  const j = join(dir, 'journal')
  if (!existsSync(j)) return 0
  return readdirSync(j)
    .filter((f) => f.endsWith('.jsonl'))
    .reduce((n, f) => n + readFileSync(join(j, f), 'utf8').split('\n').filter(Boolean).length, 0)
}

describe('durability through the CLI (PGlite)', () => {
  let fake: FakeOpenAI
  let dir: string
  let confDir: string
  let configFile: string
  let live: Served | undefined
  let key: GeneratedKey
  const answered: string[] = []

  const start = async (): Promise<Served> => {
    live = await serveCli(['--config', configFile, '--port', '0'], { PORTCULLIS_DATA_DIR: dir })
    return live
  }
  const ask = async (url: string, n: number): Promise<void> => {
    const sdk = new OpenAI({ baseURL: `${url}/v1`, apiKey: key.key, maxRetries: 0, timeout: 20_000 })
    // 10 at a time
    for (let i = 0; i < n; i += 10) {
      const ids = await Promise.all(
        Array.from({ length: Math.min(10, n - i) }, async (_, j) => {
          const { response } = await sdk.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: `call ${i + j}` }] }).withResponse()
          assert.equal(response.status, 200)
          return response.headers.get('x-request-id') as string
        }),
      )
      answered.push(...ids)
    }
  }
  /** the key's records, once there are `n` of them (the restarted gateway flushes the replayed journal in the background) */
  const recordsOf = async (url: string, n: number): Promise<SpendLog[]> => {
    let got: SpendLog[] = []
    for (let i = 0; i < 300; i++) {
      const r = await call(url, 'GET', `/spend/logs?api_key=${key.token}&limit=1000`)
      if (r.status === 200) {
        got = r.json as SpendLog[]
        if (got.length >= n) return got
      }
      await sleep(50)
    }
    return got
  }
  const spendOf = async (url: string): Promise<number> => (await call(url, 'GET', `/key/info?key=${key.token}`)).json.info.spend as number

  before(async () => {
    fake = await startFakeOpenAI({ name: 'fake' })
    dir = await dataDir(false)
    confDir = mkdtempSync(join(tmpdir(), 'portcullis-conf-'))
    configFile = join(confDir, 'portcullis.yaml')
    writeFileSync(
      configFile,
      `model_list:
  - model_name: gpt
    litellm_params:
      model: openai/gpt-upstream
      api_base: ${fake.url}
      api_key: sk-deployment-secret
      input_cost_per_token: 0.001
      output_cost_per_token: 0.002
router_settings:
  num_retries: 0
general_settings:
  master_key: ${MASTER}
`,
    )
  })
  after(async () => {
    if (live && live.child.exitCode === null && live.child.signalCode === null) {
      live.child.kill('SIGKILL')
      await live.exited
    }
    await fake.close()
    removeDir(dir)
    removeDir(confDir)
  })

  test('30 answered calls, kill -9, restart on the same data dir: all 30 are recorded, once each', async (t) => {
    const first = await start()
    key = await generateKey(first.url, { key_alias: 'durable' })
    assert.ok(existsSync(join(dir, 'pgdata', 'PG_VERSION')), 'PGlite keeps its data in the data dir')
    await ask(first.url, 30)
    first.child.kill('SIGKILL')
    assert.equal(await first.exited, null, 'killed, not exited')
    t.diagnostic(`${journalLines(dir)} record(s) left in the journal at the kill`)

    const second = await start()
    const records = await recordsOf(second.url, 30)
    const ids = records.map((r) => r.request_id)
    assert.equal(ids.length, 30, `${ids.length} records`)
    assert.equal(new Set(ids).size, 30, 'none duplicated')
    assert.deepEqual([...ids].sort(), [...answered].sort(), 'every answered call is there')
    const total = records.reduce((a, r) => a + r.spend, 0)
    assert.ok(total > 0)
    assert.ok(Math.abs((await spendOf(second.url)) - total) < 1e-9, 'the key was charged once per call, replay or not')
    assert.ok(!second.output().includes(key.key) && !first.output().includes(key.key), 'the key is in no log line')
  })

  test('SIGTERM drains: calls answered just before it are in the database after a clean stop', async () => {
    const running = live as Served
    await ask(running.url, 5)
    running.child.kill('SIGTERM')
    assert.equal(await running.exited, 0, 'a clean stop')
    assert.equal(journalLines(dir), 0, 'nothing was left in the journal: it was flushed, not left for a replay')

    const third = await start()
    const records = await recordsOf(third.url, 35)
    assert.equal(records.length, 35)
    assert.deepEqual(records.map((r) => r.request_id).sort(), [...answered].sort())
    const total = records.reduce((a, r) => a + r.spend, 0)
    assert.ok(Math.abs((await spendOf(third.url)) - total) < 1e-9)
    const mine = await spendLogs(third.url, { key_alias: 'durable', limit: 1000 })
    assert.equal(mine.length, 35)
    third.child.kill('SIGTERM')
    assert.equal(await third.exited, 0)
  })
})
