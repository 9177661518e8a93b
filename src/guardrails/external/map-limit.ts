// Calls to a guardrail service for several items (texts, batches, agents) with
// a bound on how many are in flight at once.

/**
 * `fn` over `items`, at most `limit` in flight, results in order. The first
 * failure rejects and stops new calls; so does `signal` aborting (the check
 * was abandoned: nothing more is asked of the service).
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  let failed = false
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      if (signal?.aborted) {
        failed = true
        throw new Error('abandoned: the check was aborted')
      }
      const i = next++
      try {
        out[i] = await fn(items[i] as T)
      } catch (err) {
        failed = true
        throw err
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}
