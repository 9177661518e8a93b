// Retries through a real gateway: which upstream failures are tried again, on
// which deployment, how long the router waits (Retry-After, retry-after-ms,
// max_retry_after), and what the client sees when the retries run out.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { apiFailure, askChat, askChatStream, deployment, messageOf, openaiModel, unreachableBaseURL, useFakes, useGateway } from '../helpers/gateway.ts'

/** One deployment of group `m` on `url`, then the config sections `settings`. */
const single = (url: string, settings = ''): string => `model_list:\n${openaiModel('m', url)}${settings}`
const NO_BACKOFF = 'router_settings:\n  retry_after: 0\n'

test('a 500 and a 503 are retried on the same deployment; the third answer reaches the client', async (t) => {
  const [a] = await useFakes(t, 'a')
  a.queue({ kind: 'status', status: 500 }, { kind: 'status', status: 503 })
  const gw = await useGateway(t, single(a.url, NO_BACKOFF))

  const res = await askChat(gw, 'm')
  assert.equal(res.text, 'a: hi')
  assert.equal(res.attempts, 3)
  assert.equal(a.requests.length, 3)
  // every attempt carries the client's request
  for (const r of a.requests) assert.deepEqual(r.body.messages, [{ role: 'user', content: 'hi' }])
})

test('a dropped connection is retried and the retry answers', async (t) => {
  const [a] = await useFakes(t, 'a')
  a.queue({ kind: 'destroy' })
  const gw = await useGateway(t, single(a.url))

  const res = await askChat(gw, 'm')
  assert.equal(res.text, 'a: hi')
  assert.equal(res.attempts, 2)
  assert.equal(a.requests.length, 2)
})

test('an unreachable deployment is skipped for the group’s other deployment', async (t) => {
  const [live] = await useFakes(t, 'live')
  // weight 0 on the live one: the dead one is always picked first
  const gw = await useGateway(t, `model_list:\n${deployment('dead', await unreachableBaseURL())}${deployment('live', live.url, '      weight: 0\n')}`)

  const res = await askChat(gw, 'm')
  assert.equal(res.text, 'live: hi')
  assert.equal(res.deployment, 'live')
  assert.equal(res.group, 'm')
  assert.equal(res.attempts, 2)
})

test('a 429 with Retry-After: 1 is retried after waiting about a second', async (t) => {
  const [a] = await useFakes(t, 'a')
  a.queue({ kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'slow down', type: 'rate_limit_error' } } })
  const gw = await useGateway(t, single(a.url, NO_BACKOFF))

  const started = performance.now()
  const res = await askChat(gw, 'm')
  const elapsed = performance.now() - started
  assert.equal(res.text, 'a: hi')
  assert.equal(res.attempts, 2)
  // the router's own backoff for a first retry is at most 250 ms
  assert.ok(elapsed >= 900, `the retry waited for Retry-After (took ${Math.round(elapsed)} ms)`)
})

test('retry-after-ms is honoured too', async (t) => {
  const [a] = await useFakes(t, 'a')
  a.queue({ kind: 'status', status: 429, headers: { 'retry-after-ms': '700' } })
  const gw = await useGateway(t, single(a.url, NO_BACKOFF))

  const started = performance.now()
  const res = await askChat(gw, 'm')
  const elapsed = performance.now() - started
  assert.equal(res.attempts, 2)
  assert.ok(elapsed >= 600, `the retry waited for retry-after-ms (took ${Math.round(elapsed)} ms)`)
})

test('a Retry-After longer than max_retry_after is not waited for: the group’s other deployment answers', async (t) => {
  const [busy, free] = await useFakes(t, 'busy', 'free')
  busy.fallback = { kind: 'status', status: 429, headers: { 'retry-after': '60' } }
  const gw = await useGateway(t, `model_list:\n${deployment('busy', busy.url)}${deployment('free', free.url, '      weight: 0\n')}`)

  const started = performance.now()
  const res = await askChat(gw, 'm')
  assert.ok(performance.now() - started < 5_000, 'the 60 s Retry-After was not waited for')
  assert.equal(res.deployment, 'free')
  assert.equal(res.text, 'free: hi')
  assert.equal(busy.requests.length, 1)
})

test('a Retry-After longer than max_retry_after with nowhere else to go: the 429 reaches the client at once', async (t) => {
  const [a] = await useFakes(t, 'a')
  a.fallback = { kind: 'status', status: 429, headers: { 'retry-after': '60' }, body: { error: { message: 'quota exhausted', type: 'rate_limit_error' } } }
  const gw = await useGateway(t, single(a.url))

  const started = performance.now()
  const err = await apiFailure(askChat(gw, 'm'))
  assert.ok(performance.now() - started < 5_000, 'the 60 s Retry-After was not waited for')
  assert.equal(err.status, 429)
  assert.equal(messageOf(err), 'quota exhausted')
  assert.equal(a.requests.length, 1)
})

test('max_retry_after is configurable: a 2 s Retry-After above max_retry_after 1 is not retried on the same deployment', async (t) => {
  const [a] = await useFakes(t, 'a')
  a.queue({ kind: 'status', status: 429, headers: { 'retry-after': '2' } })
  const gw = await useGateway(t, single(a.url, 'router_settings:\n  max_retry_after: 1\n'))

  const err = await apiFailure(askChat(gw, 'm'))
  assert.equal(err.status, 429)
  assert.equal(a.requests.length, 1)
})

test('retries stop after num_retries and the last upstream error reaches the client with its status', async (t) => {
  const [a] = await useFakes(t, 'a')
  a.fallback = { kind: 'status', status: 503, body: { error: { message: 'overloaded, try later', type: 'server_error' } } }
  const gw = await useGateway(t, single(a.url, 'router_settings:\n  num_retries: 1\n  retry_after: 0\n'))

  const err = await apiFailure(askChat(gw, 'm'))
  assert.equal(err.status, 503)
  assert.equal(messageOf(err), 'overloaded, try later')
  assert.equal(a.requests.length, 2)
})

test('litellm_settings.num_retries: 0 means a single attempt', async (t) => {
  const [a] = await useFakes(t, 'a')
  a.fallback = { kind: 'status', status: 500 }
  const gw = await useGateway(t, single(a.url, 'litellm_settings:\n  num_retries: 0\n'))

  const err = await apiFailure(askChat(gw, 'm'))
  assert.equal(err.status, 500)
  assert.equal(a.requests.length, 1)
})

test('a 400 from the upstream is never retried', async (t) => {
  const [a, b] = await useFakes(t, 'a', 'b')
  a.fallback = {
    kind: 'status',
    status: 400,
    body: { error: { message: "'messages' is too long", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } },
  }
  // a second deployment and retries are there to be (wrongly) used
  const gw = await useGateway(t, `model_list:\n${deployment('a', a.url)}${deployment('b', b.url, '      weight: 0\n')}router_settings:\n  num_retries: 3\n`)

  const err = await apiFailure(askChat(gw, 'm'))
  assert.equal(err.status, 400)
  assert.equal(messageOf(err), "'messages' is too long")
  assert.equal(err.code, 'context_length_exceeded')
  assert.equal(err.param, 'messages')
  assert.equal(a.requests.length, 1)
  assert.equal(b.requests.length, 0)
})

test('a streamed call is retried before its first byte: the client gets one clean stream', async (t) => {
  const [a] = await useFakes(t, 'a')
  a.queue({ kind: 'status', status: 502 })
  a.fallback = { kind: 'stream', chunks: ['one ', 'two'] }
  const gw = await useGateway(t, single(a.url, NO_BACKOFF))

  const res = await askChatStream(gw, 'm')
  assert.equal(res.text, 'one two')
  assert.equal(res.attempts, 2)
  assert.equal(a.requests.length, 2)
})
