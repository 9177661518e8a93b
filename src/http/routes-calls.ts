// The model calls: every inbound protocol on its paths. A call is
// authenticated before its body is read, admitted (records, the key's models,
// rate limits and budget), run by the gateway, and its result written as JSON
// or as the protocol's SSE stream; its record is appended before the answer
// completes.
import type { OutgoingHttpHeaders } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { GatewayError } from '../errors.ts'
import type { CallContext } from '../gateway/gateway.ts'
import type { JsonObject } from '../json.ts'
import type { AnyProtocol } from '../protocols/protocol.ts'
import { toGatewayError } from './errors.ts'
import type { Finish } from './request-log.ts'
import { guardrailHeaders, newRequestState, type RequestState } from './request-state.ts'
import type { HttpServices } from './services.ts'
import { SSE_HEADERS, writeSse } from './sse.ts'

export function registerCallRoutes(app: FastifyInstance, services: HttpServices, finish: Finish): void {
  const maxBytes = app.initialConfig.bodyLimit ?? 16 * 1048576

  // Runs before the body is read (onRequest), not in the handler: a request
  // refused for its key, its JSON or its size is still logged and counted, and
  // an anonymous caller gets 401 without the gateway parsing its body first.
  const begin =
    (protocol: AnyProtocol) =>
    async (request: FastifyRequest): Promise<void> => {
      request.portcullis = newRequestState(protocol.route, protocol)
      request.portcullis.caller = await services.auth.authenticate(request.headers)
    }

  const handle =
    (protocol: AnyProtocol) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<JsonObject | undefined> => {
      const state = callState(request, protocol, services)
      await services.admit(state)
      const result = await services.gateway.call(protocol, request.body, callContext(request, reply, state))
      state.deployment = result.deployment?.id
      state.attempts = result.attempts
      reply.headers(result.headers)
      reply.headers(guardrailHeaders(state.trace))
      if (result.kind === 'json') {
        services.record(request.id, state, 200)
        return result.body
      }
      await stream(request, reply, state, protocol, result.events)
      return undefined
    }

  /** Writes a streamed result; the first event is pulled before any byte, so a failure up to there is still a plain error. */
  const stream = async (request: FastifyRequest, reply: FastifyReply, state: RequestState, protocol: AnyProtocol, result: AsyncIterable<JsonObject>): Promise<void> => {
    const format = protocol.stream
    if (!format) throw new GatewayError(500, `${protocol.route} answered with a stream it cannot write`)
    const events = result[Symbol.asyncIterator]()
    let first: IteratorResult<JsonObject>
    try {
      first = await events.next()
    } catch (err) {
      await events.return?.()
      throw err
    }
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, { ...(reply.getHeaders() as OutgoingHttpHeaders), ...SSE_HEADERS })
    const end = await writeSse(res, first, events, {
      frame: (ev) => format.frame(ev),
      done: format.done,
      toError: (err) => toGatewayError(err, maxBytes),
      errorEvent: (err) => protocol.answers.streamError(err),
      beforeEnd: (status) => services.record(request.id, state, status),
    })
    if (end.outcome === 'error') services.logger.warn({ reqId: request.id, error: end.error.message }, 'stream ended with an error')
    // A finished stream is recorded by the onResponse hook; a client that left
    // never lets the response finish, so it is recorded here.
    if (end.outcome === 'client_closed') {
      try {
        services.record(request.id, state, 499)
      } catch {
        // the client is gone; the failure to record was logged
      }
      finish(request, 499, end.outcome)
      request.portcullis = null
    }
  }

  for (const protocol of services.protocols) {
    for (const path of protocol.paths) app.post(path, { onRequest: begin(protocol) }, handle(protocol))
  }
}

/** The request's state, with what the body says (model label, stream) before the gateway looks at it. */
function callState(request: FastifyRequest, protocol: AnyProtocol, services: HttpServices): RequestState {
  const body = request.body as { model?: unknown; stream?: unknown } | undefined
  const state = request.portcullis ?? newRequestState(protocol.route, protocol)
  state.model = services.gateway.modelLabel(body?.model)
  state.stream = body?.stream === true
  state.body = body
  request.portcullis = state
  return state
}

/** What the gateway gets to know of the caller; a client that goes away cancels the call. */
function callContext(request: FastifyRequest, reply: FastifyReply, state: RequestState): CallContext {
  const ac = new AbortController()
  const res = reply.raw
  res.once('close', () => {
    if (!res.writableFinished) ac.abort()
  })
  const key = state.caller?.kind === 'key' ? state.caller.key : undefined
  return {
    requestId: request.id,
    signal: ac.signal,
    trace: state.trace,
    ...(key ? { boundGuardrails: key.guardrails, caller: { key_hash: key.hash, key_alias: key.alias, team_id: key.teamId, metadata: key.metadata } } : {}),
  }
}
