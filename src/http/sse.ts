// Writes an answer as Server-Sent Events the way OpenAI does: `data: <json>`
// per chunk and `data: [DONE]` at the end. An error after the first byte ends
// the stream with `data: {"error": …}`, which the OpenAI SDKs raise as APIError.
import type { ServerResponse } from 'node:http'
import { once } from 'node:events'
import type { ErrorBody } from '../errors.ts'
import type { JsonObject } from '../json.ts'

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
} as const

export type StreamEnd = { outcome: 'done' } | { outcome: 'error'; error: ErrorBody } | { outcome: 'client_closed' }

/**
 * Streams `events` to `res`, whose headers are already written. `first` is the
 * event pulled before the headers (so a failure before the first byte could
 * still be answered as a plain error); `toError` turns a later failure into the
 * error body sent as the last event.
 */
export async function writeSse(
  res: ServerResponse,
  first: IteratorResult<JsonObject>,
  events: AsyncIterator<JsonObject>,
  toError: (err: unknown) => { status: number; body: ErrorBody },
  /** runs just before the last bytes are written (the call's record is appended here) */
  beforeEnd: (status: number) => void,
): Promise<StreamEnd> {
  try {
    for (let next = first; !next.done; next = await events.next()) {
      if (res.destroyed) return { outcome: 'client_closed' }
      if (!res.write(`data: ${JSON.stringify(next.value)}\n\n`)) {
        await Promise.race([once(res, 'drain'), once(res, 'close')])
      }
    }
    if (res.destroyed) return { outcome: 'client_closed' }
    beforeEnd(200)
    res.end('data: [DONE]\n\n')
    return { outcome: 'done' }
  } catch (err) {
    if (res.destroyed) return { outcome: 'client_closed' }
    const error = toError(err)
    beforeEnd(error.status)
    res.end(`data: ${JSON.stringify(error.body)}\n\n`)
    return { outcome: 'error', error: error.body }
  } finally {
    // stops the upstream when we leave early (client gone, error)
    await events.return?.()
  }
}
