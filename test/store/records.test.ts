// Call records through the real gateway (PGlite) and the official OpenAI SDK:
// every call — answered, upstream error, guardrail block, unknown model,
// stream — leaves one record with its key, model, deployment, status, tokens,
// spend, latency and guardrail decisions; /spend/logs finds it by request id
// and filters by key, alias, model and time; prompts and answers are kept only
// with store_prompts; and inserting the same records again changes nothing.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type OpenAI from 'openai'
import { apiFailure, type TestGateway } from '../helpers/gateway.ts'
import { fixture } from '../guardrails/support.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../servers/fake-openai.ts'
import { insertRecords, queryRecords, type CallRecord } from '../../src/store/records.ts'
import { call, dataDir, dbOf, flushed, generateKey, MASTER, removeDir, spendLogs, storeGateway, type GeneratedKey, type SpendLog } from './support.ts'

const IN = 0.001
const OUT = 0.002

function config(upstream: string, storePrompts: boolean): string {
  return JSON.stringify({
    model_list: [
      { model_name: 'gpt', litellm_params: { model: 'openai/gpt-upstream', api_base: upstream, api_key: 'sk-deployment-secret', input_cost_per_token: IN, output_cost_per_token: OUT }, model_info: { id: 'gpt-main' } },
      { model_name: 'echo', litellm_params: { model: 'echo/echo' } },
    ],
    router_settings: { num_retries: 0 },
    general_settings: { master_key: MASTER, ...(storePrompts ? { store_prompts: true } : {}) },
    guardrails: [
      { guardrail_name: 'watch', litellm_params: { guardrail: 'custom', module: fixture('word'), mode: 'pre_call', word: 'zebra', action: 'flag', default_on: true } },
      { guardrail_name: 'no-forbidden', litellm_params: { guardrail: 'custom', module: fixture('word'), mode: 'pre_call', word: 'forbidden', action: 'block' } },
    ],
  })
}

describe('call records', () => {
  let fake: FakeOpenAI
  let gw: TestGateway
  let kept: TestGateway
  const dirs: string[] = []

  before(async () => {
    fake = await startFakeOpenAI({ name: 'fake' })
    const [a, b] = await Promise.all([dataDir(), dataDir()])
    dirs.push(a, b)
    ;[gw, kept] = await Promise.all([storeGateway(config(fake.url, false), a), storeGateway(config(fake.url, true), b)])
  })
  after(async () => {
    await Promise.all([gw.close(), kept.close()])
    await fake.close()
    for (const d of dirs) removeDir(d)
  })

  const idOf = (headers: Headers | undefined): string => {
    const id = headers?.get('x-request-id')
    assert.ok(id, 'the answer has an x-request-id')
    return id
  }
  const one = async (g: TestGateway, id: string): Promise<SpendLog> => {
    const found = await spendLogs(g.url, { request_id: id })
    assert.equal(found.length, 1, `one record for ${id}`)
    return found[0] as SpendLog
  }

  describe('every kind of call', () => {
    let key: GeneratedKey
    let sdk: OpenAI
    const ids: Record<string, string> = {}
    let from: string
    let to: string
    let failedDeployment: string | null = null

    before(async () => {
      key = await generateKey(gw.url, { key_alias: 'rec-key' })
      sdk = gw.client(key.key)
      from = new Date().toISOString()
      const ask = (model: string, content: string, extra: Record<string, unknown> = {}) =>
        sdk.chat.completions.create({ model, messages: [{ role: 'user', content }], ...(extra as object) }).withResponse()

      ids.ok = idOf((await ask('gpt', 'hello zebra')).response.headers)
      fake.queue({ kind: 'status', status: 500 })
      const failed = await apiFailure(ask('gpt', 'hello'))
      failedDeployment = failed.headers?.get('x-portcullis-deployment') ?? null
      ids.upstreamError = idOf(failed.headers)
      ids.blocked = idOf((await apiFailure(ask('gpt', 'a forbidden word', { guardrails: ['no-forbidden'] }))).headers)
      ids.unknownModel = idOf((await apiFailure(ask('no-such-model', 'hello'))).headers)
      fake.queue({ kind: 'stream' })
      const streamed = await sdk.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'stream please' }], stream: true }).withResponse()
      for await (const _ of streamed.data) {
        // read it all
      }
      ids.stream = idOf(streamed.response.headers)
      ids.master = idOf((await gw.client(MASTER).chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'as admin' }] }).withResponse()).response.headers)
      await sleep(5)
      to = new Date().toISOString()
      await flushed(gw)
    })

    test('an answered call: key, model, deployment, status, tokens, spend, latency and the guardrail decisions', async () => {
      const r = await one(gw, ids.ok as string)
      assert.equal(r.request_id, ids.ok)
      assert.equal(r.key_hash, key.token)
      assert.equal(r.key_alias, 'rec-key')
      assert.equal(r.route, 'chat')
      assert.equal(r.model, 'gpt')
      assert.equal(r.deployment, 'gpt-main')
      assert.equal(r.status, 200)
      assert.equal(r.stream, false)
      assert.ok(r.prompt_tokens > 0 && r.completion_tokens > 0)
      assert.ok(Math.abs(r.spend - (r.prompt_tokens * IN + r.completion_tokens * OUT)) < 1e-9)
      assert.ok(r.latency_ms > 0)
      assert.ok(r.started_at >= from && r.started_at <= to)
      assert.equal(r.decisions.length, 1)
      assert.deepEqual({ ...r.decisions[0], ms: 0 }, { name: 'watch', mode: 'pre_call', action: 'flag', reason: 'saw a banned word (1x)', findings: 0, ms: 0 })
    })

    test('an upstream error, a guardrail block and an unknown model are recorded with their status', async () => {
      const err = await one(gw, ids.upstreamError as string)
      assert.ok(err.status >= 500, `status ${err.status}`)
      assert.equal(err.key_alias, 'rec-key')
      assert.equal(err.model, 'gpt')
      assert.equal(err.spend, 0)
      assert.equal(err.deployment, 'gpt-main', 'the deployment that failed is recorded')
      assert.equal(failedDeployment, 'gpt-main', 'and named to the client')

      const blocked = await one(gw, ids.blocked as string)
      assert.equal(blocked.status, 400)
      assert.equal(blocked.deployment, null, 'no model was called')
      const decision = blocked.decisions.find((d) => d.name === 'no-forbidden')
      assert.equal(decision?.action, 'block')
      assert.match(decision?.reason ?? '', /banned word/)
      assert.equal(blocked.decisions.find((d) => d.name === 'watch')?.action, 'allow', 'every decision of the call is kept')

      const unknown = await one(gw, ids.unknownModel as string)
      assert.equal(unknown.status, 404)
      assert.equal(unknown.model, 'no-such-model', 'the model asked for is kept')
      assert.equal(unknown.key_alias, 'rec-key')

      const streamed = await one(gw, ids.stream as string)
      assert.equal(streamed.status, 200)
      assert.equal(streamed.stream, true)
      assert.ok(streamed.completion_tokens > 0 && streamed.spend > 0)

      const master = await one(gw, ids.master as string)
      assert.equal(master.key_hash, null)
      assert.equal(master.model, 'echo')
    })

    test('/spend/logs filters by key (the key or its hash), alias, model and time', async () => {
      const keyed = [ids.ok, ids.upstreamError, ids.blocked, ids.unknownModel, ids.stream].sort()
      const idsOf = (rs: SpendLog[]) => rs.map((r) => r.request_id).sort()
      assert.deepEqual(idsOf(await spendLogs(gw.url, { api_key: key.key })), keyed)
      assert.deepEqual(idsOf(await spendLogs(gw.url, { api_key: key.token })), keyed)
      assert.deepEqual(idsOf(await spendLogs(gw.url, { key_alias: 'rec-key' })), keyed)
      assert.deepEqual(idsOf(await spendLogs(gw.url, { key_alias: 'rec-key', model: 'gpt' })), [ids.ok, ids.upstreamError, ids.blocked, ids.stream].sort())
      assert.deepEqual(idsOf(await spendLogs(gw.url, { model: 'echo', start_date: from })), [ids.master])
      assert.deepEqual(idsOf(await spendLogs(gw.url, { start_date: from, end_date: to })), [...keyed, ids.master].sort())
      assert.deepEqual(await spendLogs(gw.url, { end_date: new Date(Date.parse(from) - 60_000).toISOString() }), [])
      assert.deepEqual(await spendLogs(gw.url, { api_key: 'sk-nobody' }), [])
      const bad = await call(gw.url, 'GET', '/spend/logs?start_date=yesterday-ish')
      assert.equal(bad.status, 400)
    })

    test('prompts and answers are not stored without store_prompts', async () => {
      for (const id of Object.values(ids)) {
        const r = await one(gw, id)
        assert.equal(r.prompt, undefined)
        assert.equal(r.response, undefined)
      }
      const rows = await (await dbOf(gw)).query<{ n: number }>('select count(*)::int as n from requests where prompt is not null or response is not null')
      assert.equal(rows[0]?.n, 0)
    })
  })

  test('readiness says the database is connected', async () => {
    await flushed(gw)
    const res = await fetch(`${gw.url}/health/readiness`)
    assert.equal(res.status, 200)
    assert.equal(((await res.json()) as { db: string }).db, 'connected')
  })

  test('with store_prompts: true, the prompt and the answer are in the record', async () => {
    const { response } = await kept.client(MASTER).chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'remember me' }] }).withResponse()
    fake.queue({ kind: 'stream' })
    const streamed = await kept.client(MASTER).chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'stream me' }], stream: true }).withResponse()
    for await (const _ of streamed.data) {
      // read it all
    }
    await flushed(kept)
    const r = await one(kept, idOf(response.headers))
    assert.deepEqual(r.prompt, [{ role: 'user', content: 'remember me' }])
    assert.equal((r.response as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content, 'fake: remember me')
    const s = await one(kept, idOf(streamed.response.headers))
    assert.deepEqual(s.prompt, [{ role: 'user', content: 'stream me' }])
    assert.deepEqual(s.response, ['fake: stream me'])
  })

  test('insertRecords is idempotent: the same batch again inserts nothing and adds no spend', async () => {
    const k = await generateKey(gw.url, { key_alias: 'replayed' })
    const db = await dbOf(gw)
    const record = (request_id: string, spend: number): CallRecord => ({
      request_id,
      started_at: new Date().toISOString(),
      key_hash: k.token,
      key_alias: 'replayed',
      team_id: null,
      route: 'chat',
      model: 'gpt',
      deployment: 'gpt-main',
      status: 200,
      prompt_tokens: 10,
      completion_tokens: 5,
      spend,
      latency_ms: 12.5,
      stream: false,
      decisions: [{ name: 'watch', mode: 'pre_call', action: 'allow', findings: 0, ms: 0.1 }],
    })
    const quoted = `req-'; drop table keys; --"`
    const batch = [record(quoted, 1.5), record('replay-2', 2.5)]
    assert.equal(await insertRecords(db, batch), 2)
    assert.equal(await insertRecords(db, batch), 0, 'the same batch again')
    assert.equal(await insertRecords(db, [...batch, ...batch]), 0, 'and twice in one batch')
    assert.equal(await insertRecords(db, [record('replay-3', 1), record('replay-3', 1)]), 1, 'a duplicate inside a new batch is inserted once')
    const info = await call(gw.url, 'GET', `/key/info?key=${k.token}`)
    assert.equal(info.json.info.spend, 5, 'spend was added once per record')

    const found = await queryRecords(db, { requestId: quoted, limit: 10 })
    assert.equal(found.length, 1)
    assert.equal(found[0]?.request_id, quoted)
    const viaRoute = await one(gw, quoted)
    assert.equal(viaRoute.spend, 1.5)
    assert.deepEqual(viaRoute.decisions, batch[0]?.decisions)
    const rows = await db.query<{ n: number }>('select count(*)::int as n from requests where key_hash = $1', [k.token])
    assert.equal(rows[0]?.n, 3)
  })
})
