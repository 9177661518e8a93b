// Every Prometheus metric of the gateway, declared here. They live on a
// registry of the server's own (not prom-client's global one), so several
// gateways in one process — tests — stay apart. The Redis metrics exist only
// when Redis is used and the journal's only with storage: a 0 there would read
// as "down" or "empty" rather than "not used".
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

export class Metrics {
  readonly registry = new Registry()
  readonly requests: Counter<'route' | 'model' | 'status'>
  readonly latency: Histogram<'route' | 'model'>
  readonly upstreamLatency: Histogram<'model' | 'deployment' | 'outcome'>
  readonly guardrailRequests: Counter<'guardrail' | 'mode' | 'action'>
  readonly guardrailLatency: Histogram<'guardrail' | 'mode'>
  readonly guardrailErrors: Counter<'guardrail' | 'mode' | 'kind'>
  readonly guardrailQueueDropped: Counter
  readonly journalFlushFailures: Counter
  readonly recordsDeadLettered: Counter
  /** with Redis (REDIS_URL): uses of shared state that fell back to per-instance state, by what they were for */
  readonly redisFallbacks: Counter<'op'> | undefined
  /** with Redis: 1 while its connection is up */
  readonly redisUp: Gauge | undefined
  /** with storage: how many records wait in the journal, read when /metrics is scraped */
  pendingRecords: () => number = () => 0

  constructor(opts: { redis?: boolean; journal?: boolean } = {}) {
    collectDefaultMetrics({ register: this.registry, prefix: 'portcullis_' })
    this.requests = new Counter({
      name: 'portcullis_requests_total',
      help: 'Requests answered, by route, model and HTTP status',
      labelNames: ['route', 'model', 'status'],
      registers: [this.registry],
    })
    this.latency = new Histogram({
      name: 'portcullis_request_duration_seconds',
      help: 'Time from request to the last byte of the answer',
      labelNames: ['route', 'model'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    })
    this.upstreamLatency = new Histogram({
      name: 'portcullis_upstream_duration_seconds',
      help: 'Upstream attempt time until its answer (JSON) or its headers (streams), by outcome (ok or the HTTP status)',
      labelNames: ['model', 'deployment', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    })
    this.guardrailRequests = new Counter({
      name: 'guardrail_requests_total',
      help: 'Guardrail decisions, by guardrail, mode and action (allow, flag, rewrite, block, unevaluated)',
      labelNames: ['guardrail', 'mode', 'action'],
      registers: [this.registry],
    })
    this.guardrailLatency = new Histogram({
      name: 'guardrail_duration_seconds',
      help: 'Time a guardrail took to decide (a stream: all its checks summed)',
      labelNames: ['guardrail', 'mode'],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    })
    this.guardrailErrors = new Counter({
      name: 'guardrail_errors_total',
      help: 'Guardrails that could not decide, by kind (timeout, error, invalid_verdict; services: connect, http_status, content_type, invalid_json, invalid_shape, circuit_open)',
      labelNames: ['guardrail', 'mode', 'kind'],
      registers: [this.registry],
    })
    this.journalFlushFailures = new Counter({ name: 'portcullis_journal_flush_failures_total', help: 'Failed attempts to write journal batches to the database', registers: [this.registry] })
    this.recordsDeadLettered = new Counter({
      name: 'portcullis_records_dead_lettered_total',
      help: 'Call records the database refused, kept in the dead-letter file of the data directory instead',
      registers: [this.registry],
    })
    this.guardrailQueueDropped = new Counter({
      name: 'guardrail_logging_queue_dropped_total',
      help: 'logging_only checks dropped because their queue was full',
      registers: [this.registry],
    })
    if (opts.redis) {
      this.redisFallbacks = new Counter({
        name: 'portcullis_redis_fallback_total',
        help: 'Uses of shared state that fell back to per-instance state because Redis was unavailable, by what they were for (rate_limit, budget, trust_cache, key_eviction)',
        labelNames: ['op'],
        registers: [this.registry],
      })
      this.redisUp = new Gauge({ name: 'portcullis_redis_up', help: '1 while the connection to Redis (REDIS_URL) is up', registers: [this.registry] })
    }
    if (opts.journal) {
      const pending = (): number => this.pendingRecords()
      new Gauge({
        name: 'portcullis_journal_pending_records',
        help: 'Call records in the journal, not yet in the database',
        registers: [this.registry],
        collect() {
          this.set(pending())
        },
      })
    }
  }
}
