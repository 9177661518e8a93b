// The one error type every layer throws. It carries the HTTP status and the
// OpenAI error shape the client sees, so the HTTP layer only serialises it.

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'service_unavailable'

export interface ErrorBody {
  error: {
    message: string
    type: string
    param: string | null
    code: string | null
    [key: string]: unknown
  }
}

export class GatewayError extends Error {
  readonly status: number
  readonly type: ErrorType | string
  readonly code: string | null
  readonly param: string | null
  /** extra fields merged into `error` (e.g. `guardrail`) */
  readonly extra: Record<string, unknown> | undefined
  /** extra response headers (e.g. Retry-After) */
  readonly headers: Record<string, string> | undefined

  constructor(
    status: number,
    message: string,
    opts: {
      type?: ErrorType | string
      code?: string | null
      param?: string | null
      extra?: Record<string, unknown>
      headers?: Record<string, string>
    } = {},
  ) {
    super(message)
    this.name = 'GatewayError'
    this.status = status
    this.type = opts.type ?? defaultType(status)
    this.code = opts.code ?? null
    this.param = opts.param ?? null
    this.extra = opts.extra
    this.headers = opts.headers
  }

  toBody(): ErrorBody {
    return {
      error: { message: this.message, type: this.type, param: this.param, code: this.code, ...this.extra },
    }
  }
}

/**
 * Why an upstream call failed; decides retries, fallbacks and cooldowns.
 * `credentials`: the upstream refused the deployment's own key (401/403) — the
 * client's key never reaches an upstream, so this is the operator's to fix.
 */
export type UpstreamFailure = 'http' | 'connect' | 'timeout' | 'aborted' | 'protocol' | 'credentials'

export class UpstreamError extends GatewayError {
  readonly failure: UpstreamFailure
  readonly retryAfterMs: number | undefined
  /** the deployment that failed last (set by the router): recorded and sent as x-portcullis-deployment */
  deployment: string | undefined

  constructor(
    status: number,
    message: string,
    failure: UpstreamFailure,
    opts: { type?: string; code?: string | null; param?: string | null; retryAfterMs?: number } = {},
  ) {
    super(status, message, opts)
    this.name = 'UpstreamError'
    this.failure = failure
    this.retryAfterMs = opts.retryAfterMs
  }

  /** Worth another attempt (same or other deployment): the upstream may answer next time. */
  get retryable(): boolean {
    if (this.failure === 'connect' || this.failure === 'timeout') return true
    if (this.failure !== 'http') return false
    return this.status === 408 || this.status === 409 || this.status === 429 || this.status >= 500
  }

  /** Worth trying a fallback model group: anything but the client's own mistake. */
  get fallbackable(): boolean {
    if (this.failure === 'aborted') return false
    if (this.failure !== 'http') return true
    return this.retryable || this.status === 404
  }
}

function defaultType(status: number): ErrorType {
  switch (status) {
    case 401:
      return 'authentication_error'
    case 403:
      return 'permission_error'
    case 404:
      return 'not_found_error'
    case 408:
    case 504:
      return 'timeout_error'
    case 429:
      return 'rate_limit_error'
    case 503:
      return 'service_unavailable'
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error'
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null): GatewayError =>
  new GatewayError(400, message, { type: 'invalid_request_error', param, code })

/** A model group this gateway does not serve (or not to this caller). */
export const modelNotFound = (model: string): GatewayError =>
  new GatewayError(404, `model "${model}" is not served by this gateway; GET /v1/models lists the models`, {
    type: 'invalid_request_error',
    code: 'model_not_found',
    param: 'model',
  })
