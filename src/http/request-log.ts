// The end of every request: one log line (ids, route, model, deployment,
// attempts, status, milliseconds and the guardrail decisions, never prompts,
// answers or keys) and the request metrics.
import type { FastifyRequest } from 'fastify'
import { summarize } from '../gateway/trace.ts'
import type { Logger } from '../telemetry/logger.ts'
import type { Metrics } from '../telemetry/metrics.ts'

/** Logs and counts a request that ended with `status`; `outcome` says how, when it did not end normally. */
export type Finish = (request: FastifyRequest, status: number, outcome?: string) => void

export function requestFinisher(metrics: Metrics, logger: Logger): Finish {
  return (request, status, outcome) => {
    const s = request.portcullis
    if (!s) return
    const seconds = (performance.now() - s.started) / 1000
    metrics.requests.inc({ route: s.route, model: s.model, status: String(status) })
    metrics.latency.observe({ route: s.route, model: s.model }, seconds)
    logger.info(
      {
        reqId: request.id,
        route: s.route,
        model: s.model,
        deployment: s.deployment,
        attempts: s.attempts,
        stream: s.stream,
        status,
        ms: Math.round(seconds * 10000) / 10,
        ...(outcome ? { outcome } : {}),
        ...(s.trace.decisions.length > 0 ? { guardrails: s.trace.decisions.map(logged) } : {}),
      },
      'request',
    )
  }
}

/** A decision in the log line: its summary, the findings only when there were some. */
function logged(d: Parameters<typeof summarize>[0]): object {
  const { findings, ...rest } = summarize(d)
  return findings > 0 ? { ...rest, findings } : rest
}
