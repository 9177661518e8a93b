// A client that goes away cancels the upstream call: the fake upstream sees its
// connection closed, for JSON calls and streams, while waiting for headers or
// in the middle of a slow stream, and no retry is made after the client left.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { APIUserAbortError } from 'openai'
import { openaiModel, useFakes, useGateway } from '../helpers/gateway.ts'
import type { FakeOpenAI } from '../servers/fake-openai.ts'

/** Fails the test instead of hanging when `p` does not settle in time. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function rejectsWithAbort(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (err) => err instanceof APIUserAbortError)
}

/** An iteration the client aborted either ends or throws the SDK's abort error, nothing else. */
async function endsOrAborts(p: Promise<void>): Promise<void> {
  try {
    await within(p, 5_000, 'the aborted iteration to end')
  } catch (err) {
    if (!(err instanceof APIUserAbortError)) throw err
  }
}

const messages = [{ role: 'user' as const, content: 'hi' }]
const jsonRequest = { model: 'm', messages, stream: false as const }
const streamRequest = { model: 'm', messages, stream: true as const }

/**
 * Sends `request` to an upstream that hangs, aborts it once the upstream has it,
 * checks the SDK raised its abort error, and waits for the upstream connection to close.
 */
async function abortWhileUpstreamHangs(t: TestContext, request: typeof jsonRequest | typeof streamRequest): Promise<FakeOpenAI> {
  const [a] = await useFakes(t, 'a')
  a.fallback = { kind: 'hang' }
  const gw = await useGateway(t, `model_list:\n${openaiModel('m', a.url)}`)

  const ac = new AbortController()
  const call = gw.client().chat.completions.create(request, { signal: ac.signal })
  await within(a.waitForRequests(1), 5_000, 'the upstream request')
  const aborted = a.waitForAbort()
  ac.abort()
  await rejectsWithAbort(call)
  await within(aborted, 5_000, 'the upstream connection to close')
  return a
}

test('a JSON call aborted by the client while the upstream hangs closes the upstream connection', async (t) => {
  const a = await abortWhileUpstreamHangs(t, jsonRequest)
  assert.equal(a.aborted, 1)
  assert.equal(a.requests.length, 1, 'no retry after the client left')
})

test('a streamed call aborted while the upstream has not sent headers closes the upstream connection', async (t) => {
  const a = await abortWhileUpstreamHangs(t, streamRequest)
  assert.equal(a.requests.length, 1)
})

test('a stream aborted by the client midway closes the upstream connection before the upstream finished', async (t) => {
  const [a] = await useFakes(t, 'a')
  // 40 chunks 100 ms apart: four seconds of answer
  a.fallback = { kind: 'stream', chunks: Array.from({ length: 40 }, (_, i) => `w${i} `), delayMs: 100 }
  const gw = await useGateway(t, `model_list:\n${openaiModel('m', a.url)}`)

  const ac = new AbortController()
  const stream = await gw.client().chat.completions.create(streamRequest, { signal: ac.signal })
  const aborted = a.waitForAbort()
  let text = ''
  // the SDK ends the iteration quietly on an abort
  await endsOrAborts(
    (async () => {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? ''
        if (text.includes('w1 ')) ac.abort()
      }
    })(),
  )
  await within(aborted, 2_000, 'the upstream connection to close')
  assert.equal(a.aborted, 1)
  assert.ok(!text.includes('w39'), 'the client left before the end')
})

test('a legacy completions stream aborted midway closes the upstream connection too', async (t) => {
  const [a] = await useFakes(t, 'a')
  a.fallback = { kind: 'stream', chunks: Array.from({ length: 40 }, (_, i) => `w${i} `), delayMs: 100 }
  const gw = await useGateway(t, `model_list:\n${openaiModel('m', a.url)}`)

  const ac = new AbortController()
  const stream = await gw.client().completions.create({ model: 'm', prompt: 'hi', stream: true }, { signal: ac.signal })
  const aborted = a.waitForAbort()
  await endsOrAborts(
    (async () => {
      for await (const chunk of stream) if (chunk.choices[0]?.text) ac.abort()
    })(),
  )
  await within(aborted, 2_000, 'the upstream connection to close')
  assert.equal(a.requests[0]?.path, '/v1/completions')
})

test('a client that leaves while the router waits for a Retry-After stops the retry', async (t) => {
  const [a] = await useFakes(t, 'a')
  a.queue({ kind: 'status', status: 429, headers: { 'retry-after': '5' } })
  const gw = await useGateway(t, `model_list:\n${openaiModel('m', a.url)}`)

  const ac = new AbortController()
  const call = gw.client().chat.completions.create(jsonRequest, { signal: ac.signal })
  await within(a.waitForRequests(1), 5_000, 'the first attempt')
  await sleep(50) // the 429 is in; the router is waiting 5 s for the retry
  ac.abort()
  await rejectsWithAbort(call)
  // the gateway records the call as closed by the client at once, not after the 5 s wait
  const deadline = Date.now() + 3_000
  const closed = (): boolean => gw.logs.some((l) => l.includes('"status":499') && l.includes('client_closed'))
  while (!closed() && Date.now() < deadline) await sleep(20)
  assert.ok(closed(), 'the gateway gave up waiting once the client left')
  assert.equal(a.requests.length, 1, 'no retry was sent for a client that left')
})
