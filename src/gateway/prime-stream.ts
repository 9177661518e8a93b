// Opens an upstream stream far enough to know it really started: events are
// pulled until the first one that carries content (a role-only or empty chunk
// is not enough). A failure up to there is thrown inside the router's attempt,
// so it is retried or falls back; nothing has reached the client yet.
import { scrubError } from '../providers/upstream-client.ts'
import type { JsonObject } from '../json.ts'

export async function primeStream(src: AsyncIterable<JsonObject>, secrets: readonly string[]): Promise<AsyncIterable<JsonObject>> {
  const it = src[Symbol.asyncIterator]()
  const head: JsonObject[] = []
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

/** A chunk with text, a tool call, a finish reason or usage: the stream is really flowing. */
function carries(chunk: JsonObject): boolean {
  if (chunk.usage) return true
  const choices = chunk.choices
  if (!Array.isArray(choices)) return true
  for (const c of choices as Array<{ delta?: { content?: unknown; tool_calls?: unknown }; text?: unknown; finish_reason?: unknown }>) {
    if (c.finish_reason) return true
    if (typeof c.text === 'string' && c.text !== '') return true
    const d = c.delta
    if (d && ((typeof d.content === 'string' && d.content !== '') || d.tool_calls)) return true
  }
  return false
}
