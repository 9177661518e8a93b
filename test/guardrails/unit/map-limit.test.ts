// mapLimit, the bound on concurrent calls an external guardrail makes to its
// service: never more than `limit` in flight, results in order, and no new
// call after a failure or once the check was aborted.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { mapLimit } from '../../../src/guardrails/external/map-limit.ts'

test('at most `limit` in flight; results in the order of the items', async () => {
  let inFlight = 0
  let most = 0
  const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, async (n) => {
    most = Math.max(most, ++inFlight)
    await sleep(n * 3)
    inFlight--
    return n * 10
  })
  assert.deepEqual(out, [50, 10, 40, 20, 30, 0])
  assert.equal(most, 2)
})

test('the first failure rejects, and no call starts after it', async () => {
  const started: number[] = []
  await assert.rejects(
    mapLimit([1, 2, 3, 4, 5], 1, async (n) => {
      started.push(n)
      if (n === 2) throw new Error('service down')
      return n
    }),
    /service down/,
  )
  assert.deepEqual(started, [1, 2])
})

test('an aborted check rejects and asks nothing more of the service', async () => {
  const ac = new AbortController()
  const started: number[] = []
  await assert.rejects(
    mapLimit(
      [1, 2, 3, 4],
      1,
      async (n) => {
        started.push(n)
        if (n === 2) ac.abort()
        return n
      },
      ac.signal,
    ),
    /aborted/,
  )
  assert.deepEqual(started, [1, 2])
})
