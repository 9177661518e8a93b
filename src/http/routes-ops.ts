// Health and metrics: unauthenticated, as LiteLLM's are, so orchestrators and
// Prometheus can reach them without a key.
import type { FastifyInstance } from 'fastify'
import type { HttpServices } from './services.ts'

export function registerOpsRoutes(app: FastifyInstance, services: HttpServices, closing: () => boolean): void {
  const alive = async (): Promise<string> => "I'm alive!"
  app.get('/health/liveliness', alive)
  app.get('/health/liveness', alive)
  app.get('/health/readiness', async (_request, reply) => {
    if (closing()) return reply.code(503).send({ status: 'shutting_down' })
    // `db` as LiteLLM reports it; calls with the master key are answered either way (their records wait in the journal)
    return { status: 'healthy', models: services.gateway.modelNames().length, db: services.dbState() }
  })
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', services.metrics.registry.contentType)
    return services.metrics.registry.metrics()
  })
}
