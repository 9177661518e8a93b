// The onRequest hook of LiteLLM's admin routes (guardrails, keys, spend): the
// call is logged and counted under `route`, and only the master key passes
// (anyone, when none is configured), checked before the body is read.
import type { FastifyRequest } from 'fastify'
import { newRequestState, type PortcullisServer } from './server.ts'

export const adminOnly =
  (server: PortcullisServer, route: string) =>
  async (request: FastifyRequest): Promise<void> => {
    request.portcullis = newRequestState(route)
    const caller = await server.auth.authenticate(request.headers)
    request.portcullis.caller = caller
    server.auth.requireAdmin(caller)
  }
