// The logging_only queue: bounded (overflow dropped and counted, never
// blocking the caller), a fixed number of workers, a drain that waits for what
// is running and queued up to a deadline, and failures that are reported
// without stopping the queue.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { BoundedQueue, type Job } from '../../../src/guardrails/logging-queue.ts'
import { within } from './helpers.ts'

function counters(): { dropped: number; failed: unknown[]; events: { dropped(): void; failed(err: unknown): void } } {
  const c = {
    dropped: 0,
    failed: [] as unknown[],
    events: {
      dropped: () => void c.dropped++,
      failed: (err: unknown) => void c.failed.push(err),
    },
  }
  return c
}

/** A job that runs until `release()` is called. */
function gate(): { job: Job; started: () => boolean; done: () => boolean; release: () => void } {
  let started = false
  let done = false
  let release!: () => void
  const p = new Promise<void>((r) => (release = r))
  return {
    job: async () => {
      started = true
      await p
      done = true
    },
    started: () => started,
    done: () => done,
    release: () => release(),
  }
}

describe('BoundedQueue', () => {
  test('overflow is dropped and counted; push returns false at once and never blocks', async () => {
    const c = counters()
    const q = new BoundedQueue(2, 1, c.events)
    const gates = [gate(), gate(), gate(), gate(), gate()]
    const accepted = gates.map((g) => q.push(g.job))
    // one running, two waiting, the rest dropped
    assert.deepEqual(accepted, [true, true, true, false, false])
    assert.equal(c.dropped, 2)
    assert.equal(q.size, 3)
    gates.forEach((g) => g.release())
    assert.equal(await within(q.drain(1000), 2000, 'drain'), true)
    assert.deepEqual(
      gates.map((g) => g.done()),
      [true, true, true, false, false],
    )
    // once there is room again, jobs are accepted
    assert.equal(q.push(async () => {}), true)
    assert.equal(c.dropped, 2)
  })

  test('no more than `concurrency` jobs run at once, and every accepted job runs', async () => {
    const c = counters()
    const q = new BoundedQueue(100, 3, c.events)
    let running = 0
    let peak = 0
    let ran = 0
    for (let i = 0; i < 20; i++) {
      q.push(async () => {
        running++
        peak = Math.max(peak, running)
        await sleep(2 + (i % 4))
        running--
        ran++
      })
    }
    assert.equal(running, 3, 'three start right away')
    assert.equal(await within(q.drain(5000), 6000, 'drain'), true)
    assert.equal(peak, 3)
    assert.equal(ran, 20)
    assert.equal(q.size, 0)
  })

  test('drain waits for running and queued jobs', async () => {
    const q = new BoundedQueue(10, 1, counters().events)
    const a = gate()
    const b = gate()
    q.push(a.job)
    q.push(b.job)
    let drained: boolean | undefined
    const d = q.drain(5000).then((v) => (drained = v))
    a.release()
    await sleep(10)
    assert.equal(b.started(), true)
    assert.equal(drained, undefined, 'drain must wait for the queued job too')
    b.release()
    await within(d, 1000, 'drain')
    assert.equal(drained, true)
    assert.equal(b.done(), true)
  })

  test('drain on an idle queue resolves true at once', async () => {
    assert.equal(await within(new BoundedQueue(1, 1, counters().events).drain(10_000), 100, 'drain of an idle queue'), true)
  })

  test('drain honours its deadline: false when jobs are still running', async () => {
    const q = new BoundedQueue(10, 2, counters().events)
    const g = gate()
    q.push(g.job)
    const started = performance.now()
    assert.equal(await within(q.drain(50), 2000, 'drain with a deadline'), false)
    const took = performance.now() - started
    assert.ok(took >= 45 && took < 1000, `took ${took} ms`)
    g.release()
    assert.equal(await within(q.drain(1000), 2000, 'drain'), true)
  })

  test('a failing job is reported and does not stop the queue', async () => {
    const c = counters()
    const q = new BoundedQueue(10, 1, c.events)
    const ran: string[] = []
    const boom = new Error('boom')
    q.push(async () => {
      ran.push('a')
      throw boom
    })
    q.push(async () => void ran.push('b'))
    assert.equal(await within(q.drain(1000), 2000, 'drain'), true)
    assert.deepEqual(ran, ['a', 'b'])
    assert.deepEqual(c.failed, [boom])
    assert.equal(q.size, 0)
  })

  test('a job that throws before returning its promise is reported too, and frees its worker', async () => {
    const c = counters()
    const q = new BoundedQueue(10, 1, c.events)
    const boom = new Error('sync boom')
    const bad: Job = () => {
      throw boom
    }
    let pushed: boolean | undefined
    assert.doesNotThrow(() => (pushed = q.push(bad)), 'push must not throw into the request path')
    assert.equal(pushed, true)
    let ran = false
    q.push(async () => void (ran = true))
    assert.equal(await within(q.drain(1000), 2000, 'drain'), true)
    assert.equal(ran, true)
    assert.deepEqual(c.failed, [boom])
    assert.equal(q.size, 0)
  })
})
