// The OpenAI-compatible endpoints, with and without the /v1 prefix.
import type { OutgoingHttpHeaders } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { CallContext, GatewayResult } from '../gateway/gateway.ts'
import { GatewayError } from '../errors.ts'
import type { JsonObject } from '../json.ts'
import { toGatewayError } from './errors.ts'
import { guardrailHeaders, newRequestState, type FinishFn, type PortcullisServer } from './server.ts'
import { SSE_HEADERS, writeSse } from './sse.ts'

type Call = (body: unknown, ctx: CallContext) => Promise<GatewayResult>

export function registerOpenAIRoutes(app: FastifyInstance, server: PortcullisServer, finish: FinishFn): void {
  const { gateway, auth } = server
  const maxBytes = app.initialConfig.bodyLimit ?? 16 * 1048576
  const started = Math.floor(Date.now() / 1000)

  // Runs before the body is read (onRequest), not in the handler: a request
  // refused for its key, its JSON or its size is still logged and counted, and
  // an anonymous caller gets 401 without the gateway parsing its body first.
  const begin =
    (route: string) =>
    async (request: FastifyRequest): Promise<void> => {
      request.portcullis = newRequestState(route)
      request.portcullis.caller = await auth.authenticate(request.headers)
    }

  const handle = (route: string, call: Call) => async (request: FastifyRequest, reply: FastifyReply): Promise<JsonObject | undefined> => {
    const body = request.body as { model?: unknown; stream?: unknown } | undefined
    const state = request.portcullis ?? newRequestState(route)
    state.model = gateway.modelLabel(body?.model)
    state.stream = body?.stream === true
    state.body = body
    request.portcullis = state

    // records that could not be kept would be lost: refuse new calls while the journal is over its bound
    if (server.storage?.journal.full) {
      throw new GatewayError(503, 'the gateway is refusing new calls: its record journal is full while the database is unreachable', {
        code: 'records_backlog',
        headers: { 'retry-after': '5' },
      })
    }
    // the key's policy: its models, its rate limits and budget, its guardrails and trusted metadata
    const key = state.caller?.kind === 'key' ? state.caller.key : undefined
    if (key) {
      if (key.models.length > 0 && typeof body?.model === 'string' && !key.models.includes(body.model)) {
        throw new GatewayError(403, `this key may not use model "${body.model}" (allowed: ${key.models.join(', ')})`, {
          type: 'permission_error',
          code: 'model_not_allowed',
          param: 'model',
        })
      }
      await server.limits.admit(key)
    }

    // A client that goes away cancels the upstream call.
    const ac = new AbortController()
    const res = reply.raw
    res.once('close', () => {
      if (!res.writableFinished) ac.abort()
    })

    const result = await call(body, {
      requestId: request.id,
      signal: ac.signal,
      trace: state.trace,
      ...(key ? { boundGuardrails: key.guardrails, caller: { key_hash: key.hash, key_alias: key.alias, team_id: key.teamId, metadata: key.metadata } } : {}),
    })
    state.deployment = result.deployment?.id
    state.attempts = result.attempts
    reply.headers(result.headers)
    reply.headers(guardrailHeaders(state.trace))
    if (result.kind === 'json') {
      server.record(request, 200)
      return result.body
    }

    // Pull the first event before any byte is sent: a failure up to here is
    // still answered as a plain error with its status.
    const events = result.events[Symbol.asyncIterator]()
    let first: IteratorResult<JsonObject>
    try {
      first = await events.next()
    } catch (err) {
      await events.return?.()
      throw err
    }
    reply.hijack()
    res.writeHead(200, { ...(reply.getHeaders() as OutgoingHttpHeaders), ...SSE_HEADERS })
    const end = await writeSse(
      res,
      first,
      events,
      (err) => {
        const ge = toGatewayError(err, maxBytes)
        return { status: ge.status, body: ge.toBody() }
      },
      (status) => server.record(request, status),
    )
    if (end.outcome === 'error') server.logger.warn({ reqId: request.id, error: end.error.error.message }, 'stream ended with an error')
    // A finished stream is recorded by the onResponse hook; a client that left
    // never lets the response finish, so it is recorded here.
    if (end.outcome === 'client_closed') {
      try {
        server.record(request, 499)
      } catch {
        // the client is gone; the failure to record was logged
      }
      finish(request, 499, end.outcome)
      request.portcullis = null
    }
    return undefined
  }

  /** the models the caller may use: a key's list, else all */
  const visible = (request: FastifyRequest): string[] => {
    const caller = request.portcullis?.caller
    const all = gateway.modelNames()
    return caller?.kind === 'key' && caller.key.models.length > 0 ? all.filter((m) => caller.key.models.includes(m)) : all
  }
  const models = async (request: FastifyRequest): Promise<JsonObject> => {
    return {
      object: 'list',
      data: visible(request).map((id) => ({ id, object: 'model', created: started, owned_by: 'portcullis' })),
    }
  }
  const model = async (request: FastifyRequest<{ Params: { model: string } }>): Promise<JsonObject> => {
    const id = request.params.model
    if (!visible(request).includes(id)) {
      throw new GatewayError(404, `model "${id}" is not served by this gateway`, { code: 'model_not_found', param: 'model' })
    }
    return { id, object: 'model', created: started, owned_by: 'portcullis' }
  }

  for (const prefix of ['/v1', '']) {
    app.post(`${prefix}/chat/completions`, { onRequest: begin('chat') }, handle('chat', (b, c) => gateway.chat(b, c)))
    app.post(`${prefix}/completions`, { onRequest: begin('completions') }, handle('completions', (b, c) => gateway.completion(b, c)))
    app.post(`${prefix}/embeddings`, { onRequest: begin('embeddings') }, handle('embeddings', (b, c) => gateway.embeddings(b, c)))
    app.get(`${prefix}/models`, { onRequest: begin('models') }, models)
    app.get<{ Params: { model: string } }>(`${prefix}/models/:model`, { onRequest: begin('models') }, model)
  }
}
