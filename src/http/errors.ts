// Turns anything thrown while serving a request into a GatewayError with the
// right status (the route's protocol gives it its shape). Fastify's own errors
// (bad JSON, body too large) are client mistakes with a 4xx; only a bug of
// ours is a 500.
import { GatewayError } from '../errors.ts'

interface FastifyLikeError {
  statusCode?: number
  code?: string
  message: string
}

export function toGatewayError(err: unknown, maxRequestBytes: number): GatewayError {
  if (err instanceof GatewayError) return err
  const e = err as FastifyLikeError
  if (e && typeof e === 'object') {
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // up to 3 decimals: a limit of 0.01 MB must not read as "0.0 MB"
      const mb = Number((maxRequestBytes / 1048576).toFixed(3))
      return new GatewayError(413, `request body is larger than max_request_size_mb (${mb} MB)`, {
        code: 'request_too_large',
      })
    }
    if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return new GatewayError(400, 'the request body is empty; send a JSON object', { code: 'invalid_json' })
    if (e instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return new GatewayError(400, 'the request body is not valid JSON', { code: 'invalid_json' })
    }
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return new GatewayError(e.statusCode, e.message, { code: e.code ?? null })
    }
  }
  return new GatewayError(500, 'internal error in the gateway', { type: 'api_error', code: 'internal_error' })
}
