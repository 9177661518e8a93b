// The one HTTP client for every upstream: an undici Agent (a keep-alive pool
// per origin with a connection cap), per-call deadlines, and the mapping of
// every transport failure to an UpstreamError the router can reason about.
import { Agent, errors as undiciErrors } from 'undici'
import type { Dispatcher } from 'undici'
import { UpstreamError } from '../errors.ts'
import { parseSse, type SseEvent } from './sse-parse.ts'

export interface UpstreamClientOptions {
  /** open connections per upstream origin */
  connectionsPerOrigin: number
  keepAliveTimeoutMs: number
}

export interface UpstreamCall {
  url: string
  headers: Record<string, string>
  body: string
  signal: AbortSignal
  /** JSON: the whole call; stream: time to response headers, then the longest gap between chunks */
  timeoutMs: number
  /** strings to scrub from error messages (the deployment's key) */
  secrets: readonly string[]
}

const MAX_ERROR_BODY = 64 * 1024

export class UpstreamClient {
  readonly agent: Agent

  constructor(opts: UpstreamClientOptions) {
    this.agent = new Agent({
      connections: opts.connectionsPerOrigin,
      keepAliveTimeout: opts.keepAliveTimeoutMs,
      pipelining: 1,
      connect: { timeout: 10_000 },
    })
  }

  async postJson<T>(call: UpstreamCall): Promise<T> {
    return this.withDeadline(call, false, async (res) => {
      const text = await res.body.text()
      try {
        return JSON.parse(text) as T
      } catch {
        throw new UpstreamError(502, `upstream answered status ${res.statusCode} with a body that is not JSON`, 'protocol')
      }
    })
  }

  /** Resolves once the upstream accepted the call; iterating yields its SSE events. */
  async postSse(call: UpstreamCall): Promise<AsyncGenerator<SseEvent>> {
    return this.withDeadline(call, true, async (res) => mapStreamErrors(parseSse(res.body), res.body, call.secrets))
  }

  close(): Promise<void> {
    return this.agent.close()
  }

  private async withDeadline<T>(
    call: UpstreamCall,
    stream: boolean,
    onOk: (res: Dispatcher.ResponseData) => Promise<T>,
  ): Promise<T> {
    const ac = new AbortController()
    let timedOut = false
    const onClientAbort = (): void => ac.abort()
    if (call.signal.aborted) throw new UpstreamError(499, 'the client closed the request', 'aborted')
    call.signal.addEventListener('abort', onClientAbort, { once: true })
    const timer = setTimeout(() => {
      timedOut = true
      ac.abort()
    }, call.timeoutMs)
    try {
      const res = await this.agent.request({
        ...target(call.url),
        method: 'POST',
        headers: call.headers,
        body: call.body,
        signal: ac.signal,
        headersTimeout: call.timeoutMs,
        bodyTimeout: call.timeoutMs,
      })
      if (res.statusCode < 200 || res.statusCode >= 300) throw await httpError(res, call.secrets)
      if (stream) {
        // An upstream that ignores stream:true and answers one JSON body (or an
        // HTML page from a proxy in between) would otherwise become an empty
        // stream: the SSE parser finds no event in it. Without a content type
        // the body is read as SSE (some servers omit it).
        const type = String(res.headers['content-type'] ?? '').toLowerCase()
        if (type !== '' && !type.startsWith('text/event-stream')) {
          await res.body.dump().catch(() => {})
          throw new UpstreamError(502, `upstream answered a streaming request with ${type.split(';')[0]} instead of an event stream`, 'protocol')
        }
        // From here on the idle gap between chunks is bounded by bodyTimeout; the
        // client's abort must still reach the socket.
        clearTimeout(timer)
        res.body.once('close', () => call.signal.removeEventListener('abort', onClientAbort))
        return await onOk(res)
      }
      try {
        return await onOk(res)
      } catch (err) {
        // The upstream was reached and answered: a connection lost while its body
        // was read is a broken answer (the upstream did the work), not a connect
        // failure to retry elsewhere. Timeouts and a client gone are judged below.
        if (timedOut || call.signal.aborted) throw err
        throw cutShort(err, `upstream answered ${res.statusCode} but closed the connection before its body was complete`, call.secrets)
      }
    } catch (err) {
      call.signal.removeEventListener('abort', onClientAbort)
      throw toUpstreamError(err, { timedOut, clientAborted: call.signal.aborted, timeoutMs: call.timeoutMs }, call.secrets)
    } finally {
      clearTimeout(timer)
      if (!stream) call.signal.removeEventListener('abort', onClientAbort)
    }
  }
}

/**
 * A URL's origin and path, parsed once: deployments call the same few URLs
 * over and over, and parsing one (twice) per call was a visible cost.
 * Bounded: cleared when it holds more than 1,000 (URLs come from the config).
 */
const targets = new Map<string, { origin: string; path: string }>()

function target(url: string): { origin: string; path: string } {
  let t = targets.get(url)
  if (!t) {
    const u = new URL(url)
    t = { origin: u.origin, path: u.pathname + u.search }
    if (targets.size >= 1000) targets.clear()
    targets.set(url, t)
  }
  return t
}

async function* mapStreamErrors(
  events: AsyncGenerator<SseEvent>,
  body: Dispatcher.ResponseData['body'],
  secrets: readonly string[],
): AsyncGenerator<SseEvent> {
  try {
    yield* events
  } catch (err) {
    throw cutShort(err, 'upstream closed the connection mid-stream', secrets)
  } finally {
    // A consumer that stops early (client gone, guardrail block) frees the socket.
    if (!body.destroyed) body.destroy()
  }
}

/**
 * A failure after the upstream answered 2xx: "could not reach upstream" would
 * mislead (and be retried), so a lost connection is a protocol failure.
 */
function cutShort(err: unknown, what: string, secrets: readonly string[]): UpstreamError {
  const e = toUpstreamError(err, { timedOut: false, clientAborted: false, timeoutMs: 0 }, secrets)
  return e.failure === 'connect' ? new UpstreamError(502, `${what} (${errorCode(err) ?? 'reset'})`, 'protocol') : e
}

interface FailureContext {
  timedOut: boolean
  clientAborted: boolean
  timeoutMs: number
}

function toUpstreamError(err: unknown, ctx: FailureContext, secrets: readonly string[]): UpstreamError {
  if (err instanceof UpstreamError) return err
  if (ctx.clientAborted) return new UpstreamError(499, 'the client closed the request', 'aborted')
  if (ctx.timedOut) return new UpstreamError(504, `upstream did not answer within ${ctx.timeoutMs / 1000}s`, 'timeout')
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
    return new UpstreamError(504, 'upstream timed out: ' + scrub(err.message, secrets), 'timeout')
  }
  if (err instanceof undiciErrors.ConnectTimeoutError) {
    return new UpstreamError(502, 'could not connect to upstream: connect timeout', 'connect')
  }
  const code = errorCode(err)
  if (code && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED)$/.test(code)) {
    return new UpstreamError(502, `could not reach upstream (${code})`, 'connect')
  }
  const message = err instanceof Error ? err.message : String(err)
  return new UpstreamError(502, 'upstream failed: ' + scrub(message, secrets), 'protocol')
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const e = err as { code?: unknown; cause?: unknown }
  if (typeof e.code === 'string' && e.code !== 'UND_ERR_SOCKET') return e.code
  const cause = e.cause as { code?: unknown } | undefined
  if (cause && typeof cause.code === 'string') return cause.code
  return typeof e.code === 'string' ? e.code : undefined
}

/** An upstream's non-2xx answer, keeping its status and message (minus any secret it echoes). */
async function httpError(res: Dispatcher.ResponseData, secrets: readonly string[]): Promise<UpstreamError> {
  let text = ''
  let size = 0
  for await (const chunk of res.body) {
    const piece = typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8')
    size += piece.length
    if (text.length < MAX_ERROR_BODY) text += piece
    if (size > MAX_ERROR_BODY) {
      res.body.destroy()
      break
    }
  }
  let message = `upstream answered ${res.statusCode}`
  let type: string | undefined
  let code: string | null = null
  let param: string | null = null
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown; detail?: unknown }
    const e = parsed.error
    if (e && typeof e === 'object') {
      const eo = e as { message?: unknown; type?: unknown; code?: unknown; param?: unknown }
      if (typeof eo.message === 'string') message = eo.message
      if (typeof eo.type === 'string') type = eo.type
      if (typeof eo.code === 'string' || typeof eo.code === 'number') code = String(eo.code)
      if (typeof eo.param === 'string') param = eo.param
    } else if (typeof e === 'string') message = e
    else if (typeof parsed.message === 'string') message = parsed.message
    else if (typeof parsed.detail === 'string') message = parsed.detail
  } catch {
    const trimmed = text.trim()
    if (trimmed && !trimmed.startsWith('<')) message = `upstream answered ${res.statusCode}: ${trimmed.slice(0, 500)}`
    // A proxy's or load balancer's error page: say so rather than a bare status.
    else if (trimmed) message = `upstream answered ${res.statusCode} with an HTML page instead of a JSON error`
  }
  if (res.statusCode < 400) {
    // A redirect (often an http:// api_base answered by an https redirect) is not
    // followed; passing its 3xx on would hand the client a redirect without a target.
    const location = typeof res.headers.location === 'string' ? ` to ${res.headers.location}` : ''
    return new UpstreamError(
      502,
      scrub(`upstream answered ${res.statusCode} (a redirect${location}); redirects are not followed: point api_base at the final URL`, secrets),
      'protocol',
    )
  }
  if (res.statusCode === 401 || res.statusCode === 403) {
    // Passed on as it is, a 401 tells the client its own key is wrong (the SDKs
    // raise AuthenticationError); the key refused is the deployment's.
    const what = res.statusCode === 401 ? 'refused the credentials' : 'denied access with the credentials'
    return new UpstreamError(502, scrub(`the upstream ${what} of this deployment (${res.statusCode}: ${message}); check the deployment's api_key`, secrets), 'credentials', {
      type: 'api_error',
      code: 'upstream_auth_failed',
    })
  }
  return new UpstreamError(res.statusCode, scrub(message, secrets), 'http', {
    ...(type !== undefined ? { type } : {}),
    code,
    param,
    retryAfterMs: retryAfter(res.headers),
  })
}

function retryAfter(headers: Dispatcher.ResponseData['headers']): number | undefined {
  const ms = headers['retry-after-ms']
  if (typeof ms === 'string' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms))
  const ra = headers['retry-after']
  if (typeof ra !== 'string') return undefined
  const seconds = Number(ra)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(ra)
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined
}

/** The same error with any secret in its message replaced (errors raised mid-stream by providers). */
export function scrubError(err: unknown, secrets: readonly string[]): unknown {
  if (!(err instanceof UpstreamError) || !secrets.some((s) => s.length >= 4 && err.message.includes(s))) return err
  return new UpstreamError(err.status, scrub(err.message, secrets), err.failure, {
    type: err.type,
    code: err.code,
    param: err.param,
    ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
  })
}

export function scrub(text: string, secrets: readonly string[]): string {
  let out = text
  for (const s of secrets) if (s.length >= 4 && out.includes(s)) out = out.split(s).join('***')
  return out
}
