// The onRequest hook of LiteLLM's admin routes (guardrails, keys, spend): the
// call is logged and counted under `route`, and only the master key passes
// (anyone, when none is configured), checked before the body is read.
import type { FastifyRequest } from 'fastify'
import { newRequestState } from './request-state.ts'
import type { HttpServices } from './services.ts'

export const adminOnly =
  (services: HttpServices, route: string) =>
  async (request: FastifyRequest): Promise<void> => {
    request.portcullis = newRequestState(route)
    const caller = await services.auth.authenticate(request.headers)
    request.portcullis.caller = caller
    services.auth.requireAdmin(caller)
  }
