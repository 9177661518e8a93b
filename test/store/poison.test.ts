// A record the database cannot store never blocks the journal: client text
// with NUL, lone surrogates or absurd numbers is made storable, a record the
// database still refuses is set aside in the dead-letter file (and counted),
// and a journal poisoned by an earlier version drains at the next start.
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { TestGateway } from '../helpers/gateway.ts'
import { sumOf } from '../helpers/prometheus.ts'
import type { CallRecord } from '../../src/store/records.ts'
import { call, dataDir, flushed, MASTER, removeDir, spendLogs, storageOf, storeGateway } from './support.ts'

const CONFIG = JSON.stringify({
  model_list: [{ model_name: 'echo', litellm_params: { model: 'echo/echo' } }],
  general_settings: { master_key: MASTER, store_prompts: true },
})

const U = '\ufffd'

function record(id: string, fields: Partial<CallRecord> = {}): CallRecord {
  return {
    request_id: id,
    started_at: new Date().toISOString(),
    key_hash: null,
    key_alias: null,
    team_id: null,
    route: 'chat',
    model: 'echo',
    deployment: 'echo',
    status: 200,
    prompt_tokens: 1,
    completion_tokens: 1,
    spend: 0,
    latency_ms: 1,
    stream: false,
    decisions: [],
    ...fields,
  }
}

describe('records the database would refuse', () => {
  let gw: TestGateway
  let dir: string
  before(async () => {
    dir = await dataDir()
    gw = await storeGateway(CONFIG, dir)
  })
  after(async () => {
    await gw.close()
    removeDir(dir)
  })

  test('NUL and lone surrogates from a client are stored as U+FFFD, and later calls are still recorded', async () => {
    const nul = await call(gw.url, 'POST', '/v1/chat/completions', { model: 'x\u0000', messages: [{ role: 'user', content: 'hi' }] })
    assert.equal(nul.status, 404)
    const lone = await call(gw.url, 'POST', '/v1/chat/completions', { model: '\udfffy', messages: [{ role: 'user', content: 'hi' }] })
    assert.equal(lone.status, 404)
    const prompt = await call(gw.url, 'POST', '/v1/chat/completions', { model: 'echo', messages: [{ role: 'user', content: 'a\u0000b\ud800c', name: 'n\udc00' }] })
    assert.equal(prompt.status, 200, prompt.text)
    const after = await call(gw.url, 'POST', '/v1/chat/completions', { model: 'echo', messages: [{ role: 'user', content: 'plain' }] })
    assert.equal(after.status, 200)

    // before: the first batch was refused whole, every flush after it too, forever
    await flushed(gw)
    const byId = async (a: { headers: Headers }): Promise<CallRecord> => {
      const [r] = await spendLogs(gw.url, { request_id: a.headers.get('x-request-id') ?? '' })
      assert.ok(r, 'the call has its record')
      return r
    }
    assert.equal((await byId(nul)).model, `x${U}`)
    assert.equal((await byId(lone)).model, `${U}y`)
    assert.deepEqual((await byId(prompt)).prompt, [{ role: 'user', content: `a${U}b${U}c`, name: `n${U}` }])
    assert.equal((await byId(after)).status, 200)
  })

  test('absurd numbers (an upstream usage of 1e300 tokens) are stored within their columns', async () => {
    const storage = storageOf(gw)
    storage.record(record('huge-usage', { prompt_tokens: 1e300, completion_tokens: -5, spend: Infinity, latency_ms: NaN }))
    await flushed(gw)
    const [r] = await spendLogs(gw.url, { request_id: 'huge-usage' })
    assert.ok(r)
    assert.equal(r.prompt_tokens, 2_147_483_647)
    assert.equal(r.completion_tokens, 0)
    assert.equal(r.spend, 0)
  })

  test('a record the database still refuses is set aside in the dead-letter file and counted; the others of its batch are stored', async () => {
    const storage = storageOf(gw)
    storage.record(record('good-1'))
    storage.record(record('refused', { started_at: 'the day after tomorrow' }))
    storage.record(record('good-2'))
    await flushed(gw)
    for (const id of ['good-1', 'good-2']) assert.equal((await spendLogs(gw.url, { request_id: id })).length, 1, id)
    assert.equal((await spendLogs(gw.url, { request_id: 'refused' })).length, 0)

    const lines = readFileSync(storage.deadLetterFile, 'utf8').trim().split('\n')
    assert.equal(lines.length, 1)
    const kept = JSON.parse(lines[0] as string) as { error: string; record: CallRecord }
    assert.equal(kept.record.request_id, 'refused')
    assert.match(kept.error, /time|date/i)
    const metrics = await call(gw.url, 'GET', '/metrics', undefined, null)
    assert.equal(sumOf(metrics.text, 'portcullis_records_dead_lettered_total'), 1)
  })
})

test('a journal poisoned by an earlier version drains at the next start', async () => {
  const dir = await dataDir()
  try {
    // what the unfixed gateway appended for {"model":"x\u0000"}: JSON.stringify keeps the escape
    mkdirSync(join(dir, 'journal'), { recursive: true })
    const lines = [record('old-poison', { model: 'x\u0000', status: 404 }), record('old-good')].map((r) => JSON.stringify(r) + '\n').join('')
    writeFileSync(join(dir, 'journal', 'seg-000000000001.jsonl'), lines)
    const gw = await storeGateway(CONFIG, dir)
    try {
      await flushed(gw)
      const [poison] = await spendLogs(gw.url, { request_id: 'old-poison' })
      assert.equal(poison?.model, `x${U}`)
      assert.equal((await spendLogs(gw.url, { request_id: 'old-good' })).length, 1)
    } finally {
      await gw.close()
    }
  } finally {
    removeDir(dir)
  }
})
