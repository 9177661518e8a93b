// A key's limits and budget through the real gateway (PGlite) and the official
// OpenAI SDK: rpm and tpm (429 with Retry-After), spend from the upstream's
// usage × the deployment's per-token costs, max_budget (400 budget_exceeded),
// budget_duration (a new period lets calls through again), a stream whose
// upstream reports no usage still accounted, and usage chunks only for clients
// that asked for them.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { apiFailure, type TestGateway } from '../helpers/gateway.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../servers/fake-openai.ts'
import { call, dataDir, flushed, generateKey, MASTER, removeDir, roomInMinute, spendLogs, storeGateway, type GeneratedKey } from './support.ts'

// the fake upstream's usage for one user message "hi": prompt = JSON of the messages / 4 = 8, completion = "fake: hi" / 4 = 2
const PROMPT = 8
const COMPLETION = 2
const IN = 0.01
const OUT = 0.02
const CALL_SPEND = PROMPT * IN + COMPLETION * OUT // 0.12

/** An upstream that streams (and answers) without any usage, whatever the request asks. */
async function startNoUsageUpstream(): Promise<{ url: string; requests: Array<Record<string, unknown>>; close: () => Promise<void> }> {
  const requests: Array<Record<string, unknown>> = []
  const server: Server = createServer((req, res) => {
    let raw = ''
    req.on('data', (c: Buffer) => (raw += c))
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>
      requests.push(body)
      const base = { id: 'chatcmpl-nousage', object: 'chat.completion.chunk', created: 1, model: body.model }
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })}\n\n`)
      for (const w of ['The ', 'quick ', 'brown ', 'fox ', 'jumps.']) res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: w }, finish_reason: null }] })}\n\n`)
      res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`)
      res.end('data: [DONE]\n\n')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

describe('limits and budgets of a virtual key', () => {
  let fake: FakeOpenAI
  let noUsage: Awaited<ReturnType<typeof startNoUsageUpstream>>
  let gw: TestGateway
  let dir: string

  before(async () => {
    ;[fake, noUsage, dir] = await Promise.all([startFakeOpenAI({ name: 'fake' }), startNoUsageUpstream(), dataDir()])
    const priced = (name: string, apiBase: string) => ({
      model_name: name,
      litellm_params: { model: `openai/${name}-upstream`, api_base: apiBase, api_key: 'sk-deployment-secret', input_cost_per_token: IN, output_cost_per_token: OUT },
    })
    const yaml = JSON.stringify({
      model_list: [priced('gpt', fake.url), priced('quiet', noUsage.url)],
      router_settings: { num_retries: 0 },
      general_settings: { master_key: MASTER },
    })
    gw = await storeGateway(yaml, dir)
  })
  after(async () => {
    await gw.close()
    await Promise.all([fake.close(), noUsage.close()])
    removeDir(dir)
  })

  const chat = (k: GeneratedKey, model = 'gpt') =>
    gw
      .client(k.key)
      .chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse()
  const keyInfo = async (k: GeneratedKey) => (await call(gw.url, 'GET', `/key/info?key=${k.token}`)).json.info as { spend: number; budget_reset_at: string | null }

  test('rpm_limit 2: the third call in the minute is 429 with a Retry-After', async () => {
    const k = await generateKey(gw.url, { rpm_limit: 2 })
    await roomInMinute(3000)
    for (let i = 0; i < 2; i++) assert.equal((await chat(k)).response.status, 200)
    const err = await apiFailure(chat(k))
    assert.equal(err.status, 429)
    assert.equal(err.code, 'rate_limit_exceeded')
    const retry = Number(err.headers?.get('retry-after'))
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After: ${err.headers?.get('retry-after')}`)
    assert.match(err.message, /rpm_limit of 2/)
  })

  test('tpm_limit: once the minute’s tokens pass it, 429 with a Retry-After', async () => {
    const k = await generateKey(gw.url, { tpm_limit: PROMPT + COMPLETION + 5 })
    await roomInMinute(3000)
    assert.equal((await chat(k)).response.status, 200, `${PROMPT + COMPLETION} tokens used`)
    assert.equal((await chat(k)).response.status, 200, 'still under the limit before this call')
    const err = await apiFailure(chat(k))
    assert.equal(err.status, 429)
    assert.ok(Number(err.headers?.get('retry-after')) >= 1)
    assert.match(err.message, /tpm_limit/)
  })

  test('spend is the upstream’s usage × the deployment’s costs, in the record and on the key', async () => {
    const k = await generateKey(gw.url, {})
    const { data, response } = await chat(k)
    assert.deepEqual([data.usage?.prompt_tokens, data.usage?.completion_tokens], [PROMPT, COMPLETION])
    await flushed(gw)
    const [rec] = await spendLogs(gw.url, { request_id: response.headers.get('x-request-id') as string })
    assert.ok(rec)
    assert.equal(rec.prompt_tokens, PROMPT)
    assert.equal(rec.completion_tokens, COMPLETION)
    assert.ok(Math.abs(rec.spend - CALL_SPEND) < 1e-9, `spend ${rec.spend}`)
    assert.ok(Math.abs((await keyInfo(k)).spend - CALL_SPEND) < 1e-9)
  })

  test('max_budget: once passed, the key is stopped with 400 budget_exceeded (before and after the spend is committed)', async () => {
    const k = await generateKey(gw.url, { max_budget: CALL_SPEND / 2 })
    assert.equal((await chat(k)).response.status, 200, 'under budget before the call')
    const upstreamCalls = fake.requests.length
    const err = await apiFailure(chat(k))
    assert.equal(err.status, 400)
    assert.equal(err.code, 'budget_exceeded')
    assert.match(err.message, /budget exceeded.*max_budget/)
    await flushed(gw)
    assert.ok((await keyInfo(k)).spend >= CALL_SPEND - 1e-9)
    const again = await apiFailure(chat(k))
    assert.equal(again.code, 'budget_exceeded', 'still stopped once the spend is in the database')
    assert.equal(fake.requests.length, upstreamCalls, 'a stopped key never reaches the upstream')
  })

  test('budget_duration: after the period, the budget starts again and calls go through', async () => {
    // 3 s: both first calls must fall in the first period even on a loaded machine
    const k = await generateKey(gw.url, { max_budget: CALL_SPEND / 2, budget_duration: '3s' })
    assert.equal((await chat(k)).response.status, 200)
    assert.equal((await apiFailure(chat(k))).code, 'budget_exceeded')
    await flushed(gw)
    // a client listing its models in between (the key is looked up and cached, no call recorded)
    await gw.client(k.key).models.list()
    const resetAt = Date.parse(String((await keyInfo(k)).budget_reset_at))
    await sleep(Math.max(0, resetAt - Date.now()) + 100)
    const { response } = await chat(k)
    assert.equal(response.status, 200, 'the new period lets the call through')
    await flushed(gw)
    const info = await keyInfo(k)
    assert.ok(Math.abs(info.spend - CALL_SPEND) < 1e-9, `only this period's spend counts: ${info.spend}`)
    assert.ok(Date.parse(String(info.budget_reset_at)) > Date.now(), 'the next reset is in the future')
  })

  test('a stream whose upstream reports no usage is still accounted, from counted tokens', async () => {
    const k = await generateKey(gw.url, {})
    const { data, response } = await gw
      .client(k.key)
      .chat.completions.create({ model: 'quiet', messages: [{ role: 'user', content: 'tell me about foxes' }], stream: true })
      .withResponse()
    let text = ''
    for await (const chunk of data) text += chunk.choices[0]?.delta?.content ?? ''
    assert.equal(text, 'The quick brown fox jumps.')
    assert.deepEqual(noUsage.requests.at(-1)?.stream_options, { include_usage: true }, 'the gateway asked the upstream for usage')
    await flushed(gw)
    const [rec] = await spendLogs(gw.url, { request_id: response.headers.get('x-request-id') as string })
    assert.ok(rec)
    assert.equal(rec.stream, true)
    assert.ok(rec.prompt_tokens > 0, `prompt tokens counted: ${rec.prompt_tokens}`)
    assert.ok(rec.completion_tokens >= 5, `completion tokens counted: ${rec.completion_tokens}`)
    assert.ok(Math.abs(rec.spend - (rec.prompt_tokens * IN + rec.completion_tokens * OUT)) < 1e-9)
    assert.ok(rec.spend > 0)
    assert.ok((await keyInfo(k)).spend > 0, 'and the key was charged')
  })

  test('usage chunks: a client that did not ask gets none, one that asked gets it; both calls are accounted', async () => {
    const k = await generateKey(gw.url, {})
    const sdk = gw.client(k.key)
    const ids: string[] = []
    const usageChunks: Array<unknown[]> = []
    for (const ask of [false, true]) {
      fake.queue({ kind: 'stream' })
      const { data, response } = await sdk.chat.completions
        .create({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }], stream: true, ...(ask ? { stream_options: { include_usage: true } } : {}) })
        .withResponse()
      ids.push(response.headers.get('x-request-id') as string)
      const usages: unknown[] = []
      let text = ''
      for await (const chunk of data) {
        if (chunk.usage) usages.push(chunk.usage)
        text += chunk.choices[0]?.delta?.content ?? ''
      }
      assert.equal(text, 'fake: hi')
      usageChunks.push(usages)
      assert.deepEqual((fake.requests.at(-1)?.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage, true, 'the upstream is always asked')
    }
    assert.deepEqual(usageChunks[0], [], 'no usage chunk for a client that did not ask')
    assert.equal(usageChunks[1]?.length, 1)
    assert.deepEqual(usageChunks[1]?.[0], { prompt_tokens: PROMPT, completion_tokens: COMPLETION, total_tokens: PROMPT + COMPLETION })
    await flushed(gw)
    for (const id of ids) {
      const [rec] = await spendLogs(gw.url, { request_id: id })
      assert.equal(rec?.prompt_tokens, PROMPT)
      assert.ok(Math.abs((rec?.spend ?? 0) - CALL_SPEND) < 1e-9)
    }
  })
})
