// LiteLLM's guardrail admin routes (master key): list the configured
// guardrails, and run one by hand on a text to see what it does.
import type { FastifyInstance } from 'fastify'
import { badRequest, GatewayError } from '../errors.ts'
import { check } from '../guardrails/engine.ts'
import { GuardrailBlocked } from '../guardrails/errors.ts'
import type { GuardrailPolicy } from '../guardrails/policy.ts'
import type { JsonObject } from '../json.ts'
import { adminOnly } from './admin-only.ts'
import { newRequestState, type PortcullisServer } from './server.ts'

export function registerGuardrailRoutes(app: FastifyInstance, server: PortcullisServer, policy: GuardrailPolicy): void {
  const begin = (route: string) => adminOnly(server, route)

  app.get('/guardrails/list', { onRequest: begin('guardrails_list') }, async (): Promise<JsonObject> => ({
    // types, modes and policy only: a guardrail's own params may hold secrets
    guardrails: policy.all.map((s) => ({
      guardrail_name: s.name,
      litellm_params: { guardrail: s.type, mode: [...s.modes], default_on: s.defaultOn, on_error: s.onError, on_block: s.onBlock },
    })),
  }))

  app.post('/guardrails/apply_guardrail', { onRequest: begin('apply_guardrail') }, async (request): Promise<JsonObject> => {
    const body = request.body as { guardrail_name?: unknown; text?: unknown } | undefined
    if (typeof body?.guardrail_name !== 'string') throw badRequest('guardrail_name is required', 'guardrail_name')
    if (typeof body.text !== 'string') throw badRequest('text is required (a string)', 'text')
    const spec = policy.get(body.guardrail_name)
    if (!spec) {
      throw new GatewayError(404, `unknown guardrail "${body.guardrail_name}"; GET /guardrails/list names the configured ones`, { code: 'unknown_guardrail', param: 'guardrail_name' })
    }
    const state = request.portcullis ?? newRequestState('apply_guardrail')
    state.trace.guardrails = [spec.name]
    const direction = spec.guardrail.checkInput ? 'input' : 'output'
    const mode = direction === 'input' ? 'pre_call' : 'post_call'
    const verdict = await check(
      spec,
      direction,
      mode,
      [{ index: 0, text: body.text, source: direction === 'input' ? 'user' : 'completion' }],
      { requestId: request.id, model: '', callType: 'chat', caller: {}, requestMetadata: {}, request: {}, signal: new AbortController().signal },
      (d) => state.trace.decisions.push(d),
    )
    if (verdict.action === 'block') throw new GuardrailBlocked(spec.name, mode, verdict.reason, verdict.details)
    return { response_text: verdict.action === 'rewrite' ? verdict.texts[0] : body.text }
  })
}
