// GET /v1/models and /v1/models/{id} (and without /v1): the model groups the
// caller may use — a virtual key's list, else all.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { modelNotFound } from '../errors.ts'
import type { JsonObject } from '../json.ts'
import { newRequestState } from './request-state.ts'
import type { HttpServices } from './services.ts'

export function registerModelRoutes(app: FastifyInstance, services: HttpServices): void {
  const created = Math.floor(Date.now() / 1000)
  const begin = async (request: FastifyRequest): Promise<void> => {
    request.portcullis = newRequestState('models')
    request.portcullis.caller = await services.auth.authenticate(request.headers)
  }
  const visible = (request: FastifyRequest): string[] => {
    const caller = request.portcullis?.caller
    const all = services.gateway.modelNames()
    return caller?.kind === 'key' && caller.key.models.length > 0 ? all.filter((m) => caller.key.models.includes(m)) : all
  }
  const describe = (id: string): JsonObject => ({ id, object: 'model', created, owned_by: 'portcullis' })

  for (const prefix of ['/v1', '']) {
    app.get(`${prefix}/models`, { onRequest: begin }, async (request) => ({ object: 'list', data: visible(request).map(describe) }))
    app.get<{ Params: { model: string } }>(`${prefix}/models/:model`, { onRequest: begin }, async (request) => {
      const id = request.params.model
      if (!visible(request).includes(id)) throw modelNotFound(id)
      return describe(id)
    })
  }
}
