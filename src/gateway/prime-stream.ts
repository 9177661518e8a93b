// Opens an upstream stream far enough to know it really started: events are
// pulled until the first one the protocol says carries something (a role-only
// or empty chunk is not enough). A failure up to there is thrown inside the
// router's attempt, so it is retried or falls back; nothing has reached the
// client yet.
import { scrubError } from '../providers/upstream-client.ts'

export async function primeStream<Event>(src: AsyncIterable<Event>, carries: (ev: Event) => boolean, secrets: readonly string[]): Promise<AsyncIterable<Event>> {
  const it = src[Symbol.asyncIterator]()
  const head: Event[] = []
  let done = false
  try {
    for (;;) {
      const next = await it.next()
      if (next.done) {
        done = true
        break
      }
      head.push(next.value)
      if (carries(next.value)) break
    }
  } catch (err) {
    await it.return?.()
    throw scrubError(err, secrets)
  }
  return (async function* () {
    try {
      yield* head
      if (done) return
      for (;;) {
        const next = await it.next()
        if (next.done) return
        yield next.value
      }
    } catch (err) {
      // providers raise upstream messages as they are; the deployment key must not ride along
      throw scrubError(err, secrets)
    } finally {
      await it.return?.()
    }
  })()
}
