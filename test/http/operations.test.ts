// What operators rely on: x-request-id on every answer, one JSON log line per
// request without prompt text, Prometheus metrics, health endpoints.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { useSharedGateway } from '../helpers/gateway.ts'
import { samplesOf } from '../helpers/prometheus.ts'

const MASTER = 'sk-master-ops-0123456789'
const AUTH = { authorization: `Bearer ${MASTER}` }

// echo, and gpt on the fake upstream
const shared = useSharedGateway({ sections: `general_settings:\n  master_key: ${MASTER}\n  max_request_size_mb: 0.01\n` })

const chat = (content: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ model: 'echo', messages: [{ role: 'user', content }], ...extra })

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(shared.gw.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH, ...headers }, body })
  await res.arrayBuffer()
  return res
}

interface RequestLog {
  reqId: string
  route: string
  model: string
  status: number
  ms: number
  msg: string
  [k: string]: unknown
}

/** The request log lines for one request id; waits for the line the answer's end produces. */
async function requestLogs(reqId: string, atLeast = 1): Promise<RequestLog[]> {
  for (let i = 0; ; i++) {
    const lines = shared.gw.logs
      .map((l) => JSON.parse(l) as RequestLog)
      .filter((l) => l.msg === 'request' && l.reqId === reqId)
    if (lines.length >= atLeast || i >= 200) return lines
    await sleep(10)
  }
}

async function metricsText(): Promise<string> {
  const res = await fetch(`${shared.gw.url}/metrics`)
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
  return res.text()
}

const sample = (text: string, name: string, labels: Record<string, string>): number | undefined =>
  samplesOf(text, name, labels)[0]?.value

describe('x-request-id', () => {
  test('every answer carries one: success, stream, 400, 401, 404, 413, health, metrics', async () => {
    const answers: Array<[string, Response]> = [
      ['chat', await post('/v1/chat/completions', chat('hi'))],
      ['stream', await post('/v1/chat/completions', chat('hi', { stream: true }))],
      ['invalid', await post('/v1/chat/completions', '{"model":"echo"}')],
      ['malformed', await post('/v1/chat/completions', '{oops')],
      ['unauthenticated', await post('/v1/chat/completions', chat('hi'), { authorization: 'Bearer nope-nope' })],
      ['unknown model', await post('/v1/chat/completions', chat('hi', { model: 'nope' }))],
      ['unknown route', await post('/v1/unknown', '{}')],
      ['too large', await post('/v1/chat/completions', chat('x'.repeat(20_000)))],
    ]
    for (const path of ['/health/liveliness', '/health/readiness', '/metrics', '/nowhere']) {
      const res = await fetch(shared.gw.url + path)
      await res.arrayBuffer()
      answers.push([path, res])
    }
    const ids = new Set<string>()
    for (const [what, res] of answers) {
      const id = res.headers.get('x-request-id')
      assert.ok(id && /^[A-Za-z0-9._:-]{1,128}$/.test(id), `${what} (${res.status}) has x-request-id, got ${id}`)
      ids.add(id)
    }
    assert.equal(ids.size, answers.length, 'each request gets its own id')
  })

  test('a valid client id is kept (header and log); an invalid one is replaced', async () => {
    const mine = 'client-req.42:abc'
    const kept = await post('/v1/chat/completions', chat('keep my id'), { 'x-request-id': mine })
    assert.equal(kept.headers.get('x-request-id'), mine)
    assert.equal((await requestLogs(mine)).length, 1)

    const stream = await post('/v1/chat/completions', chat('keep my id', { stream: true }), { 'x-request-id': 'stream-id-1' })
    assert.equal(stream.headers.get('x-request-id'), 'stream-id-1')

    for (const bad of ['a'.repeat(300), 'has spaces in it', 'semi;colon', 'new\u00e9line']) {
      const res = await post('/v1/chat/completions', chat('replace it'), { 'x-request-id': bad })
      const got = res.headers.get('x-request-id')
      assert.ok(got && got !== bad, `invalid id ${JSON.stringify(bad.slice(0, 20))} is replaced`)
      assert.match(got, /^[A-Za-z0-9._:-]{1,128}$/)
    }
  })
})

describe('request logs', () => {
  test('one JSON line per request with reqId, route, model, status and ms, and no prompt or answer text', async () => {
    const secretPrompt = 'PROMPT-zebra-quasar-7781'
    const cases: Array<{ id: string; path: string; body: string; status: number; route: string; model: string }> = [
      { id: 'log-chat', path: '/v1/chat/completions', body: chat(secretPrompt), status: 200, route: 'chat', model: 'echo' },
      { id: 'log-stream', path: '/v1/chat/completions', body: chat(secretPrompt, { stream: true }), status: 200, route: 'chat', model: 'echo' },
      { id: 'log-upstream', path: '/v1/chat/completions', body: JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: secretPrompt }] }), status: 200, route: 'chat', model: 'gpt' },
      { id: 'log-completion', path: '/completions', body: JSON.stringify({ model: 'echo', prompt: secretPrompt }), status: 200, route: 'completions', model: 'echo' },
      { id: 'log-embed', path: '/v1/embeddings', body: JSON.stringify({ model: 'echo', input: secretPrompt }), status: 200, route: 'embeddings', model: 'echo' },
      { id: 'log-invalid', path: '/v1/chat/completions', body: chat(secretPrompt, { max_tokens: -1 }), status: 400, route: 'chat', model: 'echo' },
      { id: 'log-unknown-model', path: '/v1/chat/completions', body: chat(secretPrompt, { model: `model-${secretPrompt}` }), status: 404, route: 'chat', model: 'unknown' },
    ]
    for (const c of cases) {
      const res = await post(c.path, c.body, { 'x-request-id': c.id })
      assert.equal(res.status, c.status, c.id)
    }
    for (const c of cases) {
      const lines = await requestLogs(c.id)
      assert.equal(lines.length, 1, `${c.id}: exactly one request line`)
      const l = lines[0] as RequestLog
      assert.equal(l.route, c.route, c.id)
      assert.equal(l.model, c.model, c.id)
      assert.equal(l.status, c.status, c.id)
      assert.equal(typeof l.ms, 'number')
      assert.ok(l.ms >= 0)
    }
    const all = shared.gw.logs.join('\n')
    assert.ok(!all.includes(secretPrompt), 'no prompt or answer text in the logs')
    assert.ok(!all.includes(MASTER), 'no master key in the logs')
    assert.ok(!all.includes('sk-deployment-secret-gpt'), 'no deployment key in the logs')
  })

  test('requests refused before the handler are logged too: bad JSON, wrong key, too large', async () => {
    const cases: Array<{ id: string; body: string; headers?: Record<string, string>; status: number }> = [
      { id: 'log-malformed', body: '{"model":"echo", PROMPT-malformed', status: 400 },
      { id: 'log-unauth', body: chat('PROMPT-unauth'), headers: { authorization: 'Bearer wrong-key-123' }, status: 401 },
      { id: 'log-too-large', body: chat('PROMPT-large'.repeat(2000)), status: 413 },
    ]
    for (const c of cases) {
      const res = await post('/v1/chat/completions', c.body, { 'x-request-id': c.id, ...c.headers })
      assert.equal(res.status, c.status, c.id)
      const lines = await requestLogs(c.id)
      assert.equal(lines.length, 1, `${c.id}: exactly one request line`)
      assert.equal(lines[0]?.status, c.status)
      assert.equal(lines[0]?.route, 'chat')
    }
    // a mistyped path is logged and counted under one fixed route label
    const typo = await post('/v1/chat/completion', chat('PROMPT-typo'), { 'x-request-id': 'log-typo' })
    assert.equal(typo.status, 404)
    const typoLines = await requestLogs('log-typo')
    assert.equal(typoLines.length, 1)
    assert.equal(typoLines[0]?.route, 'not_found')
    assert.equal(typoLines[0]?.status, 404)
    const all = shared.gw.logs.join('\n')
    assert.ok(!all.includes('PROMPT-'), 'no body text in the logs')
    assert.ok(!all.includes('/v1/chat/completion"'), 'the path a client typed is not a log field')
    assert.ok(!all.includes('wrong-key-123'), 'no client key in the logs')
  })
})

describe('metrics', () => {
  test('requests are counted by route, model and status; unknown models are labelled "unknown"', async () => {
    const before = await metricsText()
    const count = (text: string, labels: Record<string, string>): number => sample(text, 'portcullis_requests_total', labels) ?? 0

    await post('/v1/chat/completions', chat('count'))
    await post('/v1/chat/completions', chat('count', { stream: true }))
    await post('/v1/embeddings', JSON.stringify({ model: 'echo', input: 'x' }))
    await post('/v1/chat/completions', JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'up' }] }))
    await post('/v1/chat/completions', chat('count', { model: 'client-invented-model-xyz' }))
    await post('/v1/chat/completions', chat('bad', { max_tokens: -3 }))

    // the counter is bumped when the answer has gone out: wait until the last one shows
    let text = await metricsText()
    for (let i = 0; i < 200 && count(text, { route: 'chat', model: 'echo', status: '400' }) === count(before, { route: 'chat', model: 'echo', status: '400' }); i++) {
      await sleep(10)
      text = await metricsText()
    }
    const delta = (labels: Record<string, string>): number => count(text, labels) - count(before, labels)
    assert.equal(delta({ route: 'chat', model: 'echo', status: '200' }), 2, 'chat JSON and stream')
    assert.equal(delta({ route: 'embeddings', model: 'echo', status: '200' }), 1)
    assert.equal(delta({ route: 'chat', model: 'gpt', status: '200' }), 1)
    assert.equal(delta({ route: 'chat', model: 'unknown', status: '404' }), 1)
    assert.equal(delta({ route: 'chat', model: 'echo', status: '400' }), 1)
    assert.ok(!text.includes('client-invented-model-xyz'), 'a client-supplied model name never becomes a label')
  })

  test('request and upstream durations are histograms with the Prometheus names', async () => {
    await post('/v1/chat/completions', JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'timed' }] }))
    await post('/v1/chat/completions', chat('timed'))
    const text = await metricsText()
    assert.match(text, /^# TYPE portcullis_requests_total counter$/m)
    assert.match(text, /^# TYPE portcullis_request_duration_seconds histogram$/m)
    assert.match(text, /^# TYPE portcullis_upstream_duration_seconds histogram$/m)
    assert.ok((sample(text, 'portcullis_request_duration_seconds_count', { route: 'chat', model: 'gpt' }) ?? 0) >= 1)
    assert.ok((sample(text, 'portcullis_request_duration_seconds_count', { route: 'chat', model: 'echo' }) ?? 0) >= 1)
    const inf = sample(text, 'portcullis_request_duration_seconds_bucket', { route: 'chat', model: 'echo', le: '+Inf' })
    assert.equal(inf, sample(text, 'portcullis_request_duration_seconds_count', { route: 'chat', model: 'echo' }))
    assert.ok((sample(text, 'portcullis_upstream_duration_seconds_count', { model: 'gpt', deployment: 'gpt#1', outcome: 'ok' }) ?? 0) >= 1)
  })

  test('an upstream failure is counted with its outcome', async () => {
    shared.fake.queue({ kind: 'status', status: 429, body: { error: { message: 'slow down', type: 'rate_limit_error' } } })
    const res = await post('/v1/chat/completions', JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'limited' }] }))
    assert.equal(res.status, 429)
    const text = await metricsText()
    assert.ok((sample(text, 'portcullis_upstream_duration_seconds_count', { model: 'gpt', deployment: 'gpt#1', outcome: '429' }) ?? 0) >= 1)
  })
})

describe('health', () => {
  test('liveliness and readiness answer 200 without a key', async () => {
    const live = await fetch(`${shared.gw.url}/health/liveliness`)
    assert.equal(live.status, 200)
    assert.match(await live.text(), /alive/i)
    const ready = await fetch(`${shared.gw.url}/health/readiness`)
    assert.equal(ready.status, 200)
    const body = (await ready.json()) as { status: string; db: string }
    assert.equal(body.status, 'healthy')
    assert.equal(body.db, 'none', 'this gateway runs without storage')
  })
})
