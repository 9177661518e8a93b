// The process's shared state (Redis), for the parts built before it and
// without a handle to the server: guardrails look it up at call time. Set by
// createServer when REDIS_URL is set, cleared at its shutdown. One per
// process: a second server in the same process (tests) replaces it.
import type { SharedRedis } from './redis.ts'

let current: SharedRedis | undefined

export function currentShared(): SharedRedis | undefined {
  return current
}

export function setCurrentShared(s: SharedRedis): void {
  current = s
}

/** Clears it if it is still `s`. */
export function clearCurrentShared(s: SharedRedis): void {
  if (current === s) current = undefined
}
