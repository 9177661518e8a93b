// Load balancing over several deployments of one model_name through a real
// gateway: simple-shuffle with weights, least-busy, and the cooldown of a
// deployment that keeps failing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { askChat, deployment, useFakes, useGateway, type TestGateway } from '../helpers/gateway.ts'
import type { FakeOpenAI } from '../servers/fake-openai.ts'

/** Deployments `a` on `aUrl` and `b` on `bUrl`, routed least-busy. */
const leastBusy = (aUrl: string, bUrl: string): string =>
  `model_list:\n${deployment('a', aUrl)}${deployment('b', bUrl)}router_settings:\n  routing_strategy: least-busy\n`

/**
 * A failing deployment `failing` on `failingUrl` and `good` (weight 0, so used only
 * when the other fails or rests) with one retry and the cooldown settings given.
 */
const cooldown = (failing: string, failingUrl: string, goodUrl: string, allowedFails: number, cooldownTime: number): string =>
  `model_list:\n${deployment(failing, failingUrl)}${deployment('good', goodUrl, '      weight: 0\n')}router_settings:
  num_retries: 1
  retry_after: 0
  allowed_fails: ${allowedFails}
  cooldown_time: ${cooldownTime}
`

async function countBy(gw: TestGateway, calls: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  for (let i = 0; i < calls; i++) {
    const { deployment: d } = await askChat(gw, 'm')
    assert.ok(d)
    counts.set(d, (counts.get(d) ?? 0) + 1)
  }
  return counts
}

/** Resolves once the fakes together have seen `n` requests. */
async function untilRequests(fs: FakeOpenAI[], n: number): Promise<void> {
  const deadline = Date.now() + 5_000
  while (fs.reduce((s, f) => s + f.requests.length, 0) < n) {
    if (Date.now() > deadline) assert.fail(`the upstreams never saw ${n} requests`)
    await sleep(5)
  }
}

test('simple-shuffle spreads calls over the deployments of a model_name', async (t) => {
  const [a, b] = await useFakes(t, 'a', 'b')
  const gw = await useGateway(t, `model_list:\n${deployment('a', a.url)}${deployment('b', b.url)}`)

  const counts = await countBy(gw, 60)
  // each side is expected ~30 times; fewer than 10 is practically impossible for a fair shuffle
  assert.ok((counts.get('a') ?? 0) >= 10, `a got ${counts.get('a') ?? 0} of 60`)
  assert.ok((counts.get('b') ?? 0) >= 10, `b got ${counts.get('b') ?? 0} of 60`)
  assert.equal(a.requests.length, counts.get('a'))
  assert.equal(b.requests.length, counts.get('b'))
})

test('simple-shuffle follows weight: 9 to 1', async (t) => {
  const [a, b] = await useFakes(t, 'a', 'b')
  const gw = await useGateway(t, `model_list:\n${deployment('a', a.url, '      weight: 9\n')}${deployment('b', b.url, '      weight: 1\n')}`)

  const counts = await countBy(gw, 200)
  const heavy = counts.get('a') ?? 0
  const light = counts.get('b') ?? 0
  // expected 180 / 20
  assert.ok(heavy >= 150, `weight 9 got ${heavy} of 200`)
  assert.ok(light >= 4, `weight 1 got ${light} of 200`)
})

test('a weight 0 deployment gets no calls while a weighted one is healthy', async (t) => {
  const [a, b] = await useFakes(t, 'a', 'b')
  const gw = await useGateway(t, `model_list:\n${deployment('a', a.url)}${deployment('zero', b.url, '      weight: 0\n')}`)

  const counts = await countBy(gw, 30)
  assert.equal(counts.get('a'), 30)
  assert.equal(b.requests.length, 0)
})

test('least-busy sends the next call to the idle deployment while the other is busy with a slow answer', async (t) => {
  const [a, b] = await useFakes(t, 'a', 'b')
  a.fallback = { kind: 'reply', delayMs: 150 }
  b.fallback = { kind: 'reply', delayMs: 150 }
  const gw = await useGateway(t, leastBusy(a.url, b.url))

  // Several rounds: a random pick would choose the busy one half of the time.
  for (let round = 0; round < 5; round++) {
    const seen = a.requests.length + b.requests.length
    const slow = askChat(gw, 'm', 'first')
    await untilRequests([a, b], seen + 1)
    const next = await askChat(gw, 'm', 'second')
    const first = await slow
    assert.notEqual(next.deployment, first.deployment, `round ${round}: the second call went to the busy deployment`)
  }
})

test('least-busy counts a stream as busy until it has been delivered', async (t) => {
  const [a, b] = await useFakes(t, 'a', 'b')
  a.fallback = { kind: 'stream', chunks: ['s', 'l', 'o', 'w'], delayMs: 50 }
  b.fallback = { kind: 'stream', chunks: ['s', 'l', 'o', 'w'], delayMs: 50 }
  const gw = await useGateway(t, leastBusy(a.url, b.url))
  const client = gw.client()

  for (let round = 0; round < 5; round++) {
    const { data, response } = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .withResponse()
    const streaming = response.headers.get('x-portcullis-deployment')
    // the stream's headers are out, its chunks still coming: the deployment is busy
    const next = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .withResponse()
    assert.notEqual(next.response.headers.get('x-portcullis-deployment'), streaming, `round ${round}`)
    for await (const _ of next.data) void _
    for await (const _ of data) void _
  }
})

test('least-busy: a stream the client abandoned does not leave its deployment counted busy', async (t) => {
  const [a, b] = await useFakes(t, 'a', 'b')
  const slow = { kind: 'stream' as const, chunks: Array.from({ length: 40 }, (_, i) => `w${i} `), delayMs: 100 }
  a.fallback = slow
  b.fallback = slow
  const gw = await useGateway(t, leastBusy(a.url, b.url))

  const ac = new AbortController()
  const stream = await gw
    .client()
    .chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }, { signal: ac.signal })
  const abandoned = a.requests.length === 1 ? a : b
  const aborted = abandoned.waitForAbort()
  try {
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) ac.abort()
  } catch {
    // the SDK may end or throw on abort; either way the client left
  }
  await aborted
  a.fallback = { kind: 'reply' }
  b.fallback = { kind: 'reply' }
  await sleep(100)
  // both idle again: calls spread over both, none starved by a phantom in-flight call
  const counts = await countBy(gw, 20)
  assert.ok((counts.get('a') ?? 0) > 0 && (counts.get('b') ?? 0) > 0, `calls went ${JSON.stringify([...counts])}`)
})

test('cooldown: a deployment that fails more than allowed_fails is avoided for cooldown_time', async (t) => {
  const [bad, good] = await useFakes(t, 'bad', 'good')
  bad.fallback = { kind: 'status', status: 500 }
  // weight 0 on the good one: the bad one is picked first whenever it is not cooling down
  const gw = await useGateway(t, cooldown('bad', bad.url, good.url, 1, 30))

  // two failures: each call is rescued by the good deployment
  for (let i = 0; i < 2; i++) {
    const res = await askChat(gw, 'm')
    assert.equal(res.deployment, 'good')
    assert.equal(res.attempts, 2)
  }
  assert.equal(bad.requests.length, 2)
  // more than allowed_fails (1): the bad one now rests, calls go straight to the good one
  for (let i = 0; i < 5; i++) {
    const res = await askChat(gw, 'm')
    assert.equal(res.deployment, 'good')
    assert.equal(res.attempts, 1)
  }
  assert.equal(bad.requests.length, 2)
})

test('cooldown: failures up to allowed_fails do not cool a deployment down', async (t) => {
  const [bad, good] = await useFakes(t, 'bad', 'good')
  bad.fallback = { kind: 'status', status: 500 }
  const gw = await useGateway(t, cooldown('bad', bad.url, good.url, 3, 30))

  for (let i = 0; i < 3; i++) assert.equal((await askChat(gw, 'm')).attempts, 2)
  assert.equal(bad.requests.length, 3)
  // the fourth failure is more than allowed_fails: from then on it rests
  assert.equal((await askChat(gw, 'm')).attempts, 2)
  assert.equal((await askChat(gw, 'm')).attempts, 1)
  assert.equal(bad.requests.length, 4)
})

test('cooldown: after cooldown_time the deployment is tried again', async (t) => {
  const [flaky, good] = await useFakes(t, 'flaky', 'good')
  flaky.queue({ kind: 'status', status: 500 }, { kind: 'status', status: 500 })
  const gw = await useGateway(t, cooldown('flaky', flaky.url, good.url, 1, 0.3))

  await askChat(gw, 'm')
  await askChat(gw, 'm')
  assert.equal((await askChat(gw, 'm')).deployment, 'good', 'cooling down right after the second failure')
  await sleep(500)
  const res = await askChat(gw, 'm')
  assert.equal(res.deployment, 'flaky', 'rested long enough, and recovered')
  assert.equal(res.attempts, 1)
  assert.equal(flaky.requests.length, 3)
})
