// The journal's bound, through the real gateway: with a database that never
// opens (database_url on a closed port of 127.0.0.1, the pg path — no server
// needed) and a tiny journal_max_mb, calls are answered while their records
// fit, then refused with 503 records_backlog instead of answered unrecorded;
// the refusals do not grow the journal, and key checks and admin routes answer
// 503 at once instead of waiting for a database that is not there.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import OpenAI from 'openai'
import { apiFailure, openaiModel, startGateway, unreachableBaseURL, type TestGateway } from '../helpers/gateway.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../servers/fake-openai.ts'
import { call, dataDir, filesUnder, MASTER, removeDir, storageOf } from './support.ts'

describe('a database that never opens, and a journal bound of 0.001 MB', () => {
  let fake: FakeOpenAI
  let gw: TestGateway
  let dir: string
  let sdk: OpenAI

  before(async () => {
    fake = await startFakeOpenAI({ name: 'fake' })
    dir = await dataDir(false)
    const closed = new URL(await unreachableBaseURL())
    const yaml = `model_list:
${openaiModel('gpt', fake.url)}router_settings:
  num_retries: 0
general_settings:
  master_key: ${MASTER}
  database_url: postgres://portcullis:pw@127.0.0.1:${closed.port}/portcullis
  journal_max_mb: 0.001
`
    gw = await startGateway(yaml, { storage: { dataDir: dir } })
    sdk = gw.client(MASTER)
  })
  after(async () => {
    await gw.close()
    await fake.close()
    removeDir(dir)
  })

  test('calls are answered while their records fit, then refused with 503 records_backlog; refusals do not fill the journal', async () => {
    const journal = storageOf(gw).journal
    let answered = 0
    let refused: Awaited<ReturnType<typeof apiFailure>> | undefined
    for (let i = 0; i < 50 && !refused; i++) {
      try {
        await sdk.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: `call ${i}` }] })
        answered++
      } catch (err) {
        refused = await apiFailure(Promise.reject(err))
      }
    }
    assert.ok(refused, 'the gateway starts refusing')
    assert.ok(answered >= 1, 'calls are answered while the journal has room')
    assert.equal(refused.status, 503)
    assert.equal(refused.code, 'records_backlog')
    assert.ok(refused.headers?.get('retry-after'), 'with a Retry-After')
    assert.equal(journal.size.records, answered, 'every answered call is in the journal')
    assert.equal(fake.requests.length, answered, 'a refused call never reached the upstream')

    // the journal is a bound: refusing calls must not keep adding to it
    const bytes = journal.size.bytes
    for (let i = 0; i < 20; i++) {
      const err = await apiFailure(sdk.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'more' }] }))
      assert.equal(err.status, 503)
    }
    assert.equal(journal.size.bytes, bytes, 'refused calls did not grow the journal')
    assert.equal(fake.requests.length, answered)
    const onDisk = filesUnder(dir).filter((f) => f.endsWith('.jsonl'))
    assert.ok(onDisk.length >= 1, 'the records wait on disk')
  })

  test('readiness stays 200 (master-key calls are answered) and says the database is unavailable', async () => {
    const res = await fetch(`${gw.url}/health/readiness`)
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { status: 'healthy', models: 1, db: 'unavailable' })
  })

  test('a virtual key cannot be checked: 503 storage_unavailable at once, never a hang nor a pass', async () => {
    const started = Date.now()
    const err = await apiFailure(gw.client('sk-some-virtual-key').chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] }))
    assert.equal(err.status, 503)
    assert.equal(err.code, 'storage_unavailable')
    assert.ok(Date.now() - started < 5000, `answered in ${Date.now() - started} ms`)
  })

  test('the admin routes answer 503 storage_unavailable at once', async () => {
    const started = Date.now()
    const r = await call(gw.url, 'POST', '/key/generate', { key_alias: 'x' })
    assert.equal(r.status, 503, r.text)
    assert.equal(r.json.error.code, 'storage_unavailable')
    const logs = await call(gw.url, 'GET', '/spend/logs')
    assert.equal(logs.status, 503, logs.text)
    assert.ok(Date.now() - started < 5000)
  })
})
