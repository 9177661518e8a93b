// The Fastify server: request ids, the JSON body parser, the hooks that log
// and count every request, the error handler that answers in the route's
// protocol, the routes, and a close that lets in-flight streams finish.
// It serves what src/app.ts built (HttpServices) and builds nothing itself.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { randomUUID } from 'node:crypto'
import { UpstreamError } from '../errors.ts'
import { toGatewayError } from './errors.ts'
import { requestFinisher, type Finish } from './request-log.ts'
import { guardrailHeaders, newRequestState } from './request-state.ts'
import { registerCallRoutes } from './routes-calls.ts'
import { registerGuardrailRoutes } from './routes-guardrails.ts'
import { registerKeyRoutes } from './routes-keys.ts'
import { registerModelRoutes } from './routes-models.ts'
import { registerOpsRoutes } from './routes-ops.ts'
import type { HttpServices } from './services.ts'

export interface HttpOptions {
  /** general_settings.max_request_size_mb, in bytes: larger bodies are a 413 */
  maxRequestBytes: number
}

export interface HttpServer {
  readonly fastify: FastifyInstance
  /** true once closing began: readiness answers 503 */
  readonly closing: boolean
  /** listens; the URL it accepts requests on */
  listen(host: string, port: number): Promise<string>
  /** stops accepting, lets in-flight requests and streams finish up to the deadline, then closes their connections */
  close(deadlineMs: number): Promise<void>
}

const REQUEST_ID = /^[A-Za-z0-9._:\-]{1,128}$/

export function createHttpServer(services: HttpServices, opts: HttpOptions): HttpServer {
  const app = createFastify(opts.maxRequestBytes)
  const finish = requestFinisher(services.metrics, services.logger)
  let closing = false

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })
  app.addHook('onResponse', (request, reply, done) => {
    finish(request, reply.statusCode)
    done()
  })
  app.setErrorHandler((err, request, reply) => answerError(services, finish, opts.maxRequestBytes, err, request, reply))
  app.setNotFoundHandler((request, reply) => {
    // logged and counted like any request (a client on a mistyped path shows up);
    // one fixed label, so scanners cannot blow up the metrics
    request.portcullis = newRequestState('not_found')
    reply.code(404).send({
      error: { message: `unknown route: ${request.method} ${request.url.split('?')[0]}`, type: 'invalid_request_error', param: null, code: 'not_found' },
    })
  })

  registerOpsRoutes(app, services, () => closing)
  registerGuardrailRoutes(app, services)
  registerKeyRoutes(app, services)
  registerModelRoutes(app, services)
  registerCallRoutes(app, services, finish)

  return {
    fastify: app,
    get closing() {
      return closing
    },
    async listen(host, port) {
      await app.listen({ host, port })
      const addr = app.server.address()
      const actualPort = typeof addr === 'object' && addr ? addr.port : port
      return `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`
    },
    async close(deadlineMs) {
      closing = true
      const force = setTimeout(() => {
        services.logger.warn({ deadlineMs }, 'shutdown deadline passed; closing remaining connections')
        app.server.closeAllConnections()
      }, deadlineMs)
      force.unref()
      // Connections of requests that finish while we drain turn idle afterwards;
      // close them as they do instead of waiting for the client's keep-alive.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 50)
      try {
        await app.close()
      } finally {
        clearTimeout(force)
        clearInterval(sweep)
      }
    },
  }
}

function createFastify(maxRequestBytes: number): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: maxRequestBytes,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  })
  app.decorateRequest('portcullis', null)
  // Clients that forget `content-type: application/json` (curl -d) still mean JSON.
  // fetch() with a string body and no header sends text/plain, which Fastify's
  // own text parser would turn into a string the validator rejects: drop it.
  app.removeContentTypeParser('text/plain')
  app.addContentTypeParser('*', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'))
  return app
}

/**
 * Anything thrown while serving a request becomes an error answer with the
 * right status, in the route's protocol's shape, with the applied-guardrails
 * headers and the call's record (appended before the answer).
 */
function answerError(services: HttpServices, finish: Finish, maxRequestBytes: number, err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const ge = toGatewayError(err, maxRequestBytes)
  if (ge.status >= 500 && ge.status !== 502 && ge.status !== 503 && ge.status !== 504) {
    services.logger.error({ reqId: request.id, err }, 'unexpected error')
  }
  const state = request.portcullis
  if (ge.status === 499) {
    // The client is gone; nothing can be answered, only recorded.
    if (state) finish(request, 499, 'client_closed')
    request.portcullis = null
    reply.code(499).send()
    return
  }
  if (ge.headers) reply.headers(ge.headers)
  if (err instanceof UpstreamError && err.deployment) {
    // which deployment failed, for the client's report and the call's record
    reply.header('x-portcullis-deployment', err.deployment)
    if (state) state.deployment ??= err.deployment
  }
  const shape = state?.protocol?.answers
  if (state) {
    reply.headers(guardrailHeaders(state.trace))
    try {
      services.record(request.id, state, ge.status)
    } catch (recordErr) {
      const re = toGatewayError(recordErr, maxRequestBytes)
      reply.code(re.status).send(shape ? shape.errorBody(re) : re.toBody())
      return
    }
  }
  reply.code(ge.status).send(shape ? shape.errorBody(ge) : ge.toBody())
}
