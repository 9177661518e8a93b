// Writes a stream as Server-Sent Events in the route's protocol: each event
// framed by its StreamFormat, then its closing bytes. An error after the first
// byte ends the stream with the protocol's error event (OpenAI's
// `data: {"error": …}`, which the OpenAI SDKs raise as an APIError).
import type { ServerResponse } from 'node:http'
import { once } from 'node:events'
import type { GatewayError } from '../errors.ts'

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
} as const

export type StreamEnd = { outcome: 'done' } | { outcome: 'error'; error: GatewayError } | { outcome: 'client_closed' }

export interface SseWriting<Event> {
  frame(ev: Event): string
  /** the bytes after the last event */
  done: string
  /** a failure turned into the error to answer with */
  toError(err: unknown): GatewayError
  /** the bytes that end the stream with that error */
  errorEvent(err: GatewayError): string
  /** runs just before the last bytes are written (the call's record is appended here) */
  beforeEnd(status: number): void
}

/**
 * Streams `events` to `res`, whose headers are already written. `first` is the
 * event pulled before the headers (so a failure before the first byte could
 * still be answered as a plain error).
 */
export async function writeSse<Event>(res: ServerResponse, first: IteratorResult<Event>, events: AsyncIterator<Event>, w: SseWriting<Event>): Promise<StreamEnd> {
  try {
    for (let next = first; !next.done; next = await events.next()) {
      if (res.destroyed) return { outcome: 'client_closed' }
      if (!res.write(w.frame(next.value))) {
        await Promise.race([once(res, 'drain'), once(res, 'close')])
      }
    }
    if (res.destroyed) return { outcome: 'client_closed' }
    w.beforeEnd(200)
    res.end(w.done)
    return { outcome: 'done' }
  } catch (err) {
    if (res.destroyed) return { outcome: 'client_closed' }
    const error = w.toError(err)
    w.beforeEnd(error.status)
    res.end(w.errorEvent(error))
    return { outcome: 'error', error }
  } finally {
    // stops the upstream when we leave early (client gone, error)
    await events.return?.()
  }
}
