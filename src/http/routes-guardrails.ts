// LiteLLM's guardrail admin routes (master key): list the configured
// guardrails, and run one by hand on a text to see what it does.
import type { FastifyInstance } from 'fastify'
import { badRequest } from '../errors.ts'
import type { JsonObject } from '../json.ts'
import { adminOnly } from './admin-only.ts'
import { newRequestState } from './request-state.ts'
import type { HttpServices } from './services.ts'

export function registerGuardrailRoutes(app: FastifyInstance, services: HttpServices): void {
  const begin = (route: string) => adminOnly(services, route)

  app.get('/guardrails/list', { onRequest: begin('guardrails_list') }, async (): Promise<JsonObject> => ({ guardrails: services.guardrails.list() }))

  app.post('/guardrails/apply_guardrail', { onRequest: begin('apply_guardrail') }, async (request): Promise<JsonObject> => {
    const body = request.body as { guardrail_name?: unknown; text?: unknown } | undefined
    if (typeof body?.guardrail_name !== 'string') throw badRequest('guardrail_name is required', 'guardrail_name')
    if (typeof body.text !== 'string') throw badRequest('text is required (a string)', 'text')
    const state = request.portcullis ?? newRequestState('apply_guardrail')
    return { response_text: await services.guardrails.apply(body.guardrail_name, body.text, request.id, state.trace) }
  })
}
