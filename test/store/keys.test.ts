// Virtual keys through the real gateway (embedded PGlite in a temp data dir)
// and the official OpenAI SDK: LiteLLM's admin routes under the master key,
// the key's policy (models, bound guardrails the client cannot drop, expiry,
// metadata as trusted caller data for the hlido guardrail), parameterised SQL,
// a key that never shows up in a log line, an error body, a row or a file of
// the data dir, and keys that outlive a restart on the same data dir.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { APIError } from 'openai'
import { apiFailure, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { fixture, namesIn } from '../guardrails/support.ts'
import { startFakeHlido, type FakeHlido } from '../servers/fake-hlido.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../servers/fake-openai.ts'
import {
  call,
  dataDir,
  dbOf,
  filesContaining,
  flushed,
  generateKey,
  MASTER,
  removeDir,
  spendLogs,
  storeGateway,
  type Answer,
  type GeneratedKey,
} from './support.ts'

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex')
const INJECTION = `it's "quoted"'; drop table keys; --`
const ODD_MODEL = `o'brien"; drop table requests; --`

function config(upstream: string, hlido: string): string {
  const model = (name: string) => ({ model_name: name, litellm_params: { model: `openai/${name}-upstream`, api_base: upstream, api_key: 'sk-deployment-secret' } })
  return JSON.stringify({
    model_list: [model('gpt'), model('gpt-other'), model(ODD_MODEL)],
    router_settings: { num_retries: 0 },
    general_settings: { master_key: MASTER },
    guardrails: [
      { guardrail_name: 'no-forbidden', litellm_params: { guardrail: 'custom', module: fixture('word'), mode: 'pre_call', word: 'forbidden', action: 'block' } },
      { guardrail_name: 'mask-secret', litellm_params: { guardrail: 'custom', module: fixture('word'), mode: 'pre_call', word: 'secretword' } },
      { guardrail_name: 'trust', litellm_params: { guardrail: 'hlido', mode: 'pre_call', api_base: hlido } },
    ],
  })
}

describe('virtual keys', () => {
  let fake: FakeOpenAI
  let hlido: FakeHlido
  let gw: TestGateway
  let dir: string
  /** every key this file generated: none may leak */
  const plaintexts: string[] = []
  /** every error body a client got */
  const errorBodies: string[] = []

  const newKey = async (fields: Record<string, unknown> = {}): Promise<GeneratedKey> => {
    const k = await generateKey(gw.url, fields)
    plaintexts.push(k.key)
    return k
  }
  /** a raw admin call whose error body is kept for the leak check */
  const admin = async (method: 'GET' | 'POST', path: string, body?: unknown, key: string | null = MASTER): Promise<Answer> => {
    const r = await call(gw.url, method, path, body, key)
    if (r.status >= 400) errorBodies.push(r.text)
    return r
  }
  /** a failing SDK call; its body is kept */
  const failure = async (p: Promise<unknown>): Promise<APIError> => {
    const err = await apiFailure(p)
    errorBodies.push(JSON.stringify(err.error ?? null), err.message)
    return err
  }
  const chat = (key: string, model = 'gpt', content = 'hi', extra: Record<string, unknown> = {}) =>
    gw
      .client(key)
      .chat.completions.create({ model, messages: [{ role: 'user', content }], ...(extra as object) })
      .withResponse()
  const lastUpstreamText = (): string => {
    const body = fake.requests.at(-1)?.body as { messages?: Array<{ content?: string }> } | undefined
    return body?.messages?.at(-1)?.content ?? ''
  }

  before(async () => {
    ;[fake, hlido, dir] = await Promise.all([startFakeOpenAI({ name: 'fake' }), startFakeHlido(), dataDir()])
    gw = await storeGateway(config(fake.url, hlido.url), dir)
  })
  after(async () => {
    await gw.close()
    await Promise.all([fake.close(), hlido.close()])
    removeDir(dir)
  })

  test('the admin routes are the master key’s: none → 401, a virtual key → 403, no master key configured → 400', async () => {
    const k = await newKey({ key_alias: 'not-admin' })
    const anon = await admin('POST', '/key/generate', {}, null)
    assert.equal(anon.status, 401)
    for (const [method, path, body] of [
      ['POST', '/key/generate', {}],
      ['POST', '/key/update', { key: k.key, rpm_limit: 5 }],
      ['POST', '/key/delete', { keys: [k.key] }],
      ['GET', '/key/info?key=' + k.token, undefined],
      ['GET', '/key/list', undefined],
      ['GET', '/spend/logs', undefined],
    ] as const) {
      const r = await admin(method, path, body, k.key)
      assert.equal(r.status, 403, `${method} ${path}: ${r.text}`)
      assert.equal(r.json.error.code, 'admin_only')
    }
    assert.equal((await admin('GET', '/key/info?key=' + k.token)).status, 200, 'the key is still there')

    const open = await startGateway(`model_list:\n  - model_name: echo\n    litellm_params:\n      model: echo/echo\n`)
    try {
      const r = await call(open.url, 'POST', '/key/generate', { key_alias: 'x' }, null)
      assert.equal(r.status, 400, r.text)
      assert.equal(r.json.error.code, 'master_key_required')
    } finally {
      await open.close()
    }
  })

  test('generate returns the key once (sk-…) and its hash as token; info and list name keys by hash', async () => {
    const k = await newKey({ key_alias: 'first', models: ['gpt'], metadata: { team: 'blue' }, max_budget: 10, rpm_limit: 100 })
    assert.match(k.key, /^sk-[A-Za-z0-9_-]{20,}$/)
    assert.equal(k.token, sha256(k.key))
    assert.equal(k.key_alias, 'first')
    assert.deepEqual(k.models, ['gpt'])
    assert.deepEqual(k.metadata, { team: 'blue' })

    for (const name of [k.key, k.token]) {
      const info = await admin('GET', `/key/info?key=${encodeURIComponent(name)}`)
      assert.equal(info.status, 200, info.text)
      assert.equal(info.json.key, k.token)
      assert.equal(info.json.info.token, k.token)
      assert.equal(info.json.info.key_alias, 'first')
      assert.equal(info.json.info.max_budget, 10)
      assert.ok(!info.text.includes(k.key), 'info never shows the key')
    }
    const missing = await admin('GET', `/key/info?key=sk-no-such-key`)
    assert.equal(missing.status, 404)

    const list = await admin('GET', '/key/list?size=100')
    assert.equal(list.status, 200)
    assert.ok(list.json.keys.includes(k.token), 'the list names keys by hash')
    assert.ok(list.json.total_count >= 1)
    const full = await admin('GET', '/key/list?size=100&return_full_object=true')
    const mine = (full.json.keys as Array<{ token: string; key_alias: string }>).find((x) => x.token === k.token)
    assert.equal(mine?.key_alias, 'first')
    for (const text of [list.text, full.text]) for (const p of plaintexts) assert.ok(!text.includes(p), 'no plaintext key in a list')

    const { response } = await chat(k.key)
    assert.equal(response.status, 200, 'the key works')
  })

  test('update changes the key’s policy at once; an unknown key is a 404', async () => {
    const k = await newKey({ key_alias: 'upd', models: ['gpt'] })
    await chat(k.key) // cached now
    assert.equal((await failure(chat(k.key, 'gpt-other'))).status, 403)
    const r = await admin('POST', '/key/update', { key: k.key, models: ['gpt', 'gpt-other'], rpm_limit: 50, metadata: { v: 2 } })
    assert.equal(r.status, 200, r.text)
    assert.deepEqual(r.json.models, ['gpt', 'gpt-other'])
    assert.equal(r.json.rpm_limit, 50)
    const { response } = await chat(k.key, 'gpt-other')
    assert.equal(response.status, 200, 'the update applies to the next call')
    const byHash = await admin('POST', '/key/update', { key: k.token, key_alias: 'upd-2' })
    assert.equal(byHash.json.key_alias, 'upd-2')
    assert.equal((await admin('POST', '/key/update', { key: 'sk-nobody', rpm_limit: 1 })).status, 404)
    assert.equal((await admin('POST', '/key/update', { key: k.key, models: ['no-such-model'] })).status, 400)
  })

  test('delete, by key or by alias, takes effect at once: the next call is 401', async () => {
    const a = await newKey({ key_alias: 'del-a' })
    const b = await newKey({ key_alias: 'del-b' })
    for (const k of [a, b]) assert.equal((await chat(k.key)).response.status, 200)
    const byKey = await admin('POST', '/key/delete', { keys: [a.key] })
    assert.equal(byKey.status, 200, byKey.text)
    assert.deepEqual(byKey.json.deleted_keys, [a.token])
    const errA = await failure(chat(a.key))
    assert.equal(errA.status, 401)
    assert.equal((await chat(b.key)).response.status, 200, 'the other key still works')
    const byAlias = await admin('POST', '/key/delete', { key_aliases: ['del-b'] })
    assert.deepEqual(byAlias.json.deleted_keys, [b.token])
    assert.equal((await failure(chat(b.key))).status, 401)
    assert.equal((await admin('GET', `/key/info?key=${a.token}`)).status, 404)
  })

  test('models: another model is 403 model_not_allowed; /v1/models lists only the allowed ones', async () => {
    const k = await newKey({ models: ['gpt'] })
    const err = await failure(chat(k.key, 'gpt-other'))
    assert.equal(err.status, 403)
    assert.equal(err.code, 'model_not_allowed')
    const sdk = gw.client(k.key)
    assert.deepEqual((await sdk.models.list()).data.map((m) => m.id), ['gpt'])
    assert.equal((await failure(sdk.models.retrieve('gpt-other'))).status, 404)
    const all = (await gw.client(MASTER).models.list()).data.map((m) => m.id)
    assert.ok(all.includes('gpt-other'), 'the master key sees every model')
  })

  test('guardrails bound to a key run on every call it makes, and the client cannot remove them', async () => {
    const bound = await newKey({ key_alias: 'guarded', guardrails: ['no-forbidden', 'mask-secret'] })
    const plain = await newKey({ key_alias: 'unguarded' })

    const ok = await chat(bound.key, 'gpt', 'my secretword is here')
    assert.deepEqual(namesIn(ok.response.headers.get('x-portcullis-applied-guardrails')).sort(), ['mask-secret', 'no-forbidden'])
    assert.equal(lastUpstreamText(), 'my [MASKED] is here', 'the masking guardrail rewrote what the upstream got')

    const blocked = await failure(chat(bound.key, 'gpt', 'a forbidden thing'))
    assert.equal(blocked.status, 400)
    assert.equal(blocked.code, 'guardrail_blocked')
    const upstreamCalls = fake.requests.length
    for (const extra of [{ guardrails: [] }, { metadata: { guardrails: [] } }]) {
      const err = await failure(chat(bound.key, 'gpt', 'a forbidden thing', extra))
      assert.equal(err.status, 400, `${JSON.stringify(extra)} does not remove it`)
      assert.equal(err.code, 'guardrail_blocked')
    }
    for (const extra of [{ disable_global_guardrails: true }, { opted_out_global_guardrails: ['no-forbidden'] }, { guardrails: { 'no-forbidden': false } }]) {
      const err = await failure(chat(bound.key, 'gpt', 'a forbidden thing', extra))
      assert.equal(err.status, 403, JSON.stringify(extra))
      assert.equal(err.code, 'guardrail_mandatory')
    }
    assert.equal(fake.requests.length, upstreamCalls, 'no blocked call reached the upstream')

    // the same words from a key without them: the guardrails are the key's, not global
    const free = await chat(plain.key, 'gpt', 'a forbidden secretword')
    assert.equal(free.response.headers.get('x-portcullis-applied-guardrails'), null)
    assert.equal(lastUpstreamText(), 'a forbidden secretword')
  })

  test('duration: a key with duration "2s" works, then is refused as expired (401)', async () => {
    // 2 s, not 1: the first call must land before the expiry even on a loaded machine
    const k = await newKey({ duration: '2s' })
    assert.ok(k.expires, 'it has an expiry')
    assert.equal((await chat(k.key)).response.status, 200)
    await sleep(Math.max(0, Date.parse(String(k.expires)) - Date.now()) + 50)
    const err = await failure(chat(k.key))
    assert.equal(err.status, 401)
    assert.equal(err.code, 'expired_api_key')
  })

  test('metadata reaches guardrails as trusted caller data: hlido checks the key’s agents, not the request’s', async () => {
    const low = await newKey({ guardrails: ['trust'], metadata: { hlido_slugs: ['klariqo'] } })
    const high = await newKey({ guardrails: ['trust'], metadata: { hlido_slugs: ['try-sanebox'] } })
    const asking = (slugs: string[]) => ({ metadata: { hlido_slugs: slugs } })
    const err = await failure(chat(low.key, 'gpt', 'hi', asking(['try-sanebox'])))
    assert.equal(err.status, 400)
    assert.equal(err.code, 'guardrail_blocked')
    assert.match(err.message, /klariqo/)
    assert.equal(hlido.lookups('try-sanebox'), 0, "the request's own slugs are not a trust subject")
    const ok = await chat(high.key, 'gpt', 'hi', asking(['klariqo']))
    assert.equal(ok.response.status, 200, "the key's agent passes; the request naming another changes nothing")
    assert.equal(hlido.lookups('klariqo'), 1)
  })

  test('parameterised SQL: an alias, a model and a request id full of quotes are stored and found verbatim', async () => {
    const k = await newKey({ key_alias: INJECTION })
    assert.equal(k.key_alias, INJECTION)
    const info = await admin('GET', `/key/info?key=${k.token}`)
    assert.equal(info.json.info.key_alias, INJECTION)
    const { response } = await chat(k.key, ODD_MODEL)
    assert.equal(response.status, 200)
    const reqId = response.headers.get('x-request-id') as string
    await flushed(gw)
    const byAlias = await spendLogs(gw.url, { key_alias: INJECTION })
    assert.deepEqual(byAlias.map((r) => r.request_id), [reqId])
    assert.equal(byAlias[0]?.key_alias, INJECTION)
    assert.equal(byAlias[0]?.model, ODD_MODEL)
    assert.deepEqual((await spendLogs(gw.url, { model: ODD_MODEL })).map((r) => r.request_id), [reqId])
    assert.deepEqual(await spendLogs(gw.url, { request_id: `x'; drop table requests; --` }), [])
    const del = await admin('POST', '/key/delete', { key_aliases: [INJECTION] })
    assert.deepEqual(del.json.deleted_keys, [k.token])
    // every table is still there
    const db = await dbOf(gw)
    const tables = (await db.query<{ tablename: string }>(`select tablename from pg_tables where schemaname = 'public' order by 1`)).map((r) => r.tablename)
    assert.deepEqual(tables, ['keys', 'requests', 'schema_migrations'])
  })

  test('a key never appears in a log line, an error body, a row, or a file of the data dir; restarts keep keys', async () => {
    const survivor = await newKey({ key_alias: 'survivor', models: ['gpt'] })
    const { response } = await chat(survivor.key)
    assert.equal(response.status, 200)
    await flushed(gw)
    // rows: only hashes
    const db = await dbOf(gw)
    const keyRows = await db.query<Record<string, unknown>>('select * from keys')
    const requestRows = await db.query<Record<string, unknown>>('select * from requests')
    assert.ok(keyRows.length >= 3 && requestRows.length >= 10)
    assert.ok(keyRows.some((r) => r.key_hash === survivor.token), 'keys are stored by hash')
    assert.ok(requestRows.some((r) => r.key_hash === survivor.token), 'records name keys by hash')
    const rowsText = JSON.stringify([keyRows, requestRows])
    assert.ok(plaintexts.length >= 10)
    for (const p of plaintexts) {
      assert.ok(!rowsText.includes(p), 'no row holds a key')
      assert.ok(!gw.logs.some((l) => l.includes(p)), 'no log line holds a key')
      assert.ok(!errorBodies.some((b) => b.includes(p)), 'no error body holds a key')
    }
    assert.ok(errorBodies.length >= 10, 'error bodies were checked')

    // every file of the data dir, PGlite's own files included, after a clean stop
    await gw.close()
    for (const p of plaintexts) assert.deepEqual(filesContaining(dir, p), [], 'no file holds a key')
    assert.ok(filesContaining(dir, survivor.token).some((f) => f.includes('pgdata')), 'the scan does see the database files (it finds a hash)')

    // a restart on the same data dir: the migrations do not run again, the keys are still there
    gw = await storeGateway(config(fake.url, hlido.url), dir)
    assert.ok(!gw.logs.some((l) => l.includes('database migrated')), 'no migration applied the second time')
    const versions = await (await dbOf(gw)).query<{ version: number }>('select version from schema_migrations')
    assert.deepEqual(versions.map((v) => v.version), [1, 2])
    const again = await chat(survivor.key)
    assert.equal(again.response.status, 200, 'the key works after the restart')
    assert.equal((await failure(chat(survivor.key, 'gpt-other'))).code, 'model_not_allowed', 'with its policy')
    const info = await admin('GET', `/key/info?key=${survivor.token}`)
    assert.equal(info.json.info.key_alias, 'survivor')
  })
})
