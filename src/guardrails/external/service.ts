// The one HTTP client every external guardrail service goes through: an undici
// pool per service (connection cap, keep-alive), a timeout per call, a circuit
// breaker so a dead service costs microseconds instead of a timeout per call,
// and answers checked before they are trusted (status, content type, JSON,
// shape). Every failure is a ServiceError with a named kind, which the engine
// records and sends through the guardrail's on_error.
import { BrokenCircuitError, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel'
import { Pool, errors as undiciErrors } from 'undici'
import type { z } from 'zod'
import { scrub } from '../../providers/upstream-client.ts'
import { ParamError } from '../factory.ts'

export type ServiceErrorKind =
  | 'timeout'
  | 'connect'
  | 'http_status'
  | 'content_type'
  | 'invalid_json'
  | 'invalid_shape'
  | 'circuit_open'

export class ServiceError extends Error {
  /** read by the engine: the decision's error kind and the guardrail_errors_total label */
  readonly kind: ServiceErrorKind
  readonly status: number | undefined
  constructor(kind: ServiceErrorKind, message: string, status?: number) {
    super(message)
    this.name = 'ServiceError'
    this.kind = kind
    this.status = status
  }
}

export interface ServiceOptions {
  /** the guardrail's name, for messages */
  name: string
  apiBase: string
  timeoutMs: number
  /** sent on every call (API keys); values are scrubbed from error messages */
  headers?: Record<string, string>
  connections?: number
  /** consecutive failures that open the circuit, and how long it stays open */
  breakerFailures?: number
  breakerOpenMs?: number
}

export interface Answer<T> {
  status: number
  body: T
}

const MAX_BODY = 4 * 1024 * 1024

export class ServiceClient {
  private readonly pool: Pool
  private readonly base: URL
  private readonly opts: ServiceOptions
  private readonly breaker: CircuitBreakerPolicy
  private readonly secrets: string[]

  constructor(opts: ServiceOptions) {
    this.opts = opts
    this.base = new URL(opts.apiBase)
    this.pool = new Pool(this.base.origin, { connections: opts.connections ?? 32, keepAliveTimeout: 30_000, pipelining: 1, connect: { timeout: Math.min(opts.timeoutMs, 5000) } })
    // a service that answers "no" (4xx) is up; only outages and garbage open the circuit
    this.breaker = circuitBreaker(
      handleWhen((e) => e instanceof ServiceError && !(e.kind === 'http_status' && e.status !== undefined && e.status < 500)),
      { halfOpenAfter: opts.breakerOpenMs ?? 10_000, breaker: new ConsecutiveBreaker(opts.breakerFailures ?? 5) },
    )
    this.secrets = Object.values(opts.headers ?? {}).flatMap((v) => [v, v.replace(/^Bearer\s+/i, '')])
  }

  /** POST JSON, expect a JSON answer of `schema`'s shape. */
  post<T>(path: string, body: unknown, schema: z.ZodType<T>, signal: AbortSignal): Promise<T> {
    return this.call('POST', path, JSON.stringify(body), schema, signal, []).then((a) => a.body as T)
  }

  /** GET; statuses in `passStatuses` (e.g. 404) come back as answers with an undefined body instead of errors. */
  get<T>(path: string, schema: z.ZodType<T>, signal: AbortSignal, passStatuses: readonly number[] = []): Promise<Answer<T | undefined>> {
    return this.call('GET', path, undefined, schema, signal, passStatuses)
  }

  close(): Promise<void> {
    return this.pool.close()
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body: string | undefined, schema: z.ZodType<T>, signal: AbortSignal, pass: readonly number[]): Promise<Answer<T | undefined>> {
    try {
      return await this.breaker.execute(() => this.once(method, path, body, schema, signal, pass))
    } catch (err) {
      if (err instanceof BrokenCircuitError) {
        throw new ServiceError('circuit_open', `${this.opts.name}: service unavailable (circuit open after repeated failures)`)
      }
      throw err
    }
  }

  private async once<T>(method: 'GET' | 'POST', path: string, body: string | undefined, schema: z.ZodType<T>, signal: AbortSignal, pass: readonly number[]): Promise<Answer<T | undefined>> {
    const name = this.opts.name
    const ac = new AbortController()
    const onAbort = (): void => ac.abort()
    signal.addEventListener('abort', onAbort, { once: true })
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      ac.abort()
    }, this.opts.timeoutMs)
    try {
      const res = await this.pool.request({
        method,
        path: this.base.pathname.replace(/\/+$/, '') + path,
        headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...this.opts.headers },
        ...(body !== undefined ? { body } : {}),
        signal: ac.signal,
      })
      if (pass.includes(res.statusCode)) {
        await res.body.dump()
        return { status: res.statusCode, body: undefined }
      }
      const text = await readBounded(res.body)
      if (res.statusCode < 200 || res.statusCode >= 300) {
        throw new ServiceError('http_status', `${name}: service answered ${res.statusCode}${snippet(text, this.secrets)}`, res.statusCode)
      }
      const type = String(res.headers['content-type'] ?? '')
      if (!/\bjson\b/i.test(type)) throw new ServiceError('content_type', `${name}: service answered ${type || 'no content type'} instead of JSON`)
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        throw new ServiceError('invalid_json', `${name}: service answered JSON that does not parse (truncated?)`)
      }
      const parsed = schema.safeParse(json)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        throw new ServiceError('invalid_shape', `${name}: unexpected answer shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`)
      }
      return { status: res.statusCode, body: parsed.data }
    } catch (err) {
      if (err instanceof ServiceError) throw err
      if (timedOut || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
        throw new ServiceError('timeout', `${name}: service did not answer within ${this.opts.timeoutMs / 1000}s`)
      }
      if (signal.aborted) throw new ServiceError('timeout', `${name}: check abandoned`)
      const code = (err as { code?: string }).code ?? ''
      throw new ServiceError('connect', `${name}: cannot reach the service (${code || scrub((err as Error).message, this.secrets)})`)
    } finally {
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
    }
  }
}

async function readBounded(body: AsyncIterable<Buffer | string> & { destroy(): void }): Promise<string> {
  let text = ''
  for await (const chunk of body) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8')
    if (text.length > MAX_BODY) {
      body.destroy()
      throw new ServiceError('invalid_shape', 'service answer too large')
    }
  }
  return text
}

function snippet(text: string, secrets: readonly string[]): string {
  const t = text.trim()
  if (!t || t.startsWith('<')) return ''
  return `: ${scrub(t.slice(0, 200), secrets)}`
}

/**
 * Checks an `api_base` at start: an http(s) URL; plain http to a host that is
 * not loopback is allowed with a warning (the texts would cross the network unencrypted).
 */
export function checkApiBase(value: unknown, key: string, warn: (message: string) => void): string {
  if (typeof value !== 'string' || value === '') throw new ParamError(key, `${key} is required (the service's http(s) URL)`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ParamError(key, `${key} is not a URL: ${JSON.stringify(value)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ParamError(key, `${key} must be http or https, not ${url.protocol}`)
  if (url.username || url.password) throw new ParamError(key, `${key} must not carry credentials; use the api_key param`)
  if (url.protocol === 'http:' && !/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(url.hostname)) {
    warn(`${key} ${url.origin} is plain http to a non-loopback host: texts and keys cross the network unencrypted`)
  }
  return value.replace(/\/+$/, '')
}

/** A guardrail's `timeout` param (seconds, as the engine validated it) as a service call's timeout in ms; 5 s when unset. */
export function serviceTimeoutMs(timeout: unknown): number {
  const s = typeof timeout === 'number' ? timeout : typeof timeout === 'string' ? Number(timeout) : NaN
  return Number.isFinite(s) && s > 0 ? s * 1000 : 5000
}
