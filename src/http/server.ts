// Builds the Fastify server around a Gateway: request ids, auth, routes, the
// error shape, metrics, and a graceful shutdown that lets streams finish.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { randomUUID } from 'node:crypto'
import { Authenticator, type Caller } from '../auth/master-key.ts'
import type { ConfigIssue, GatewayConfig } from '../config/load.ts'
import { Gateway, type CallTrace } from '../gateway/gateway.ts'
import { buildGuardrails } from '../guardrails/build.ts'
import { BoundedQueue } from '../guardrails/logging-queue.ts'
import { GuardrailPipeline } from '../guardrails/pipeline.ts'
import { GuardrailPolicy } from '../guardrails/policy.ts'
import type { Decision } from '../guardrails/types.ts'
import { createAnthropicProvider } from '../providers/anthropic.ts'
import { createEchoProvider } from '../providers/echo.ts'
import { createOpenAIProvider } from '../providers/openai.ts'
import { tokenizer } from '../providers/tokens.ts'
import { UpstreamClient } from '../providers/upstream-client.ts'
import { Router } from '../router/router.ts'
import { createLogger, type Logger } from '../telemetry/logger.ts'
import { Metrics } from '../telemetry/metrics.ts'
import { UpstreamError } from '../errors.ts'
import { toGatewayError } from './errors.ts'
import { registerOpenAIRoutes } from './routes-openai.ts'
import { registerOpsRoutes } from './routes-ops.ts'
import { registerKeyRoutes } from './routes-keys.ts'
import { recordCall } from './record-call.ts'
import { KeyStore } from '../auth/keys.ts'
import { KeyLimits } from '../limits/key-limits.ts'
import { LocalCounters } from '../limits/counters.ts'
import { Storage } from '../store/storage.ts'
import { Counter, Gauge } from 'prom-client'
import { RedisCounters } from '../limits/redis-counters.ts'
import { SharedSpend } from '../limits/shared-spend.ts'
import { SharedRedis, redactUrl } from '../shared/redis.ts'
import { clearCurrentShared, setCurrentShared } from '../shared/current.ts'
import { registerGuardrailRoutes } from './routes-guardrails.ts'

export interface RequestState {
  route: string
  model: string
  deployment: string | undefined
  attempts: number
  stream: boolean
  started: number
  /** wall-clock start, for the record */
  startedAt: number
  /** guardrails that ran and their decisions, filled in by the gateway */
  trace: CallTrace
  /** set by authentication */
  caller: Caller | undefined
  /** the validated request body, for the record when store_prompts is on */
  body: unknown
  /** the call's record was appended (exactly once) */
  recorded: boolean
}

export function newRequestState(route: string): RequestState {
  return {
    route,
    model: 'unknown',
    deployment: undefined,
    attempts: 0,
    stream: false,
    started: performance.now(),
    startedAt: Date.now(),
    trace: { guardrails: [], decisions: [], usage: undefined, spend: 0, answer: undefined },
    caller: undefined,
    body: undefined,
    recorded: false,
  }
}

/** Names every guardrail that ran, whatever its mode, under our name and LiteLLM's. */
export function guardrailHeaders(trace: CallTrace): Record<string, string> {
  if (trace.guardrails.length === 0) return {}
  const names = trace.guardrails.join(',')
  return { 'x-portcullis-applied-guardrails': names, 'x-litellm-applied-guardrails': names }
}

declare module 'fastify' {
  interface FastifyRequest {
    portcullis: RequestState | null
  }
}

export interface ServerOptions {
  logger?: Logger
  /** where records and keys live; `false` runs without storage (no records, no virtual keys — for tests) */
  storage?: { dataDir: string } | false
  /** YAML line of a config path, for guardrail set-up errors */
  lineOf?: (path: (string | number)[]) => number | undefined
}

export interface PortcullisServer {
  app: FastifyInstance
  gateway: Gateway
  metrics: Metrics
  logger: Logger
  auth: Authenticator
  keys: KeyStore | undefined
  storage: Storage | undefined
  limits: KeyLimits
  /** appends the call's record (once), before its answer completes */
  record(request: FastifyRequest, status: number): void
  /** true once shutdown began: readiness answers 503 */
  readonly closing: boolean
  listen(host: string, port: number): Promise<string>
  /** stops accepting, lets in-flight requests and streams finish up to the deadline, then closes */
  shutdown(deadlineMs?: number): Promise<void>
}

const REQUEST_ID = /^[A-Za-z0-9._:\-]{1,128}$/

export async function createServer(config: GatewayConfig, opts: ServerOptions = {}): Promise<PortcullisServer> {
  const logger = opts.logger ?? createLogger()
  const metrics = new Metrics()
  const guardrailWarnings: ConfigIssue[] = []
  const specs = await buildGuardrails(config, opts.lineOf, guardrailWarnings)
  for (const w of guardrailWarnings) logger.warn({ path: w.path, line: w.line }, w.message)
  const queue = new BoundedQueue(config.general.guardrailQueueSize, 4, {
    dropped: () => {
      metrics.guardrailQueueDropped.inc()
      logger.warn('logging_only guardrail queue full: check dropped')
    },
    failed: (err) => logger.error({ err }, 'logging_only guardrail job failed'),
  })
  const observe = (d: Decision): void => {
    metrics.guardrailRequests.inc({ guardrail: d.guardrail, mode: d.mode, action: d.action })
    metrics.guardrailLatency.observe({ guardrail: d.guardrail, mode: d.mode }, d.ms / 1000)
    if (d.error) metrics.guardrailErrors.inc({ guardrail: d.guardrail, mode: d.mode, kind: d.error })
    // logging_only decisions come after the request's own log line: they get their own
    if (d.mode === 'logging_only') logger.info({ guardrail: logDecision(d) }, 'guardrail decision')
  }
  const guardrails = new GuardrailPipeline({
    policy: new GuardrailPolicy(specs),
    queue,
    streamWindow: config.general.guardrailStreamWindow,
    observe,
  })
  const client = new UpstreamClient({ connectionsPerOrigin: config.general.upstreamMaxConnections, keepAliveTimeoutMs: 30_000 })
  const gateway = new Gateway({
    router: new Router(config.deployments, config.router),
    providers: {
      openai: createOpenAIProvider(client, 'openai'),
      azure: createOpenAIProvider(client, 'azure'),
      anthropic: createAnthropicProvider(client),
      echo: createEchoProvider(),
    },
    metrics,
    guardrails,
  })
  // The echo model counts tokens on every call: its encoding (some 70 MB resident)
  // loads now rather than on the first call. Otherwise only a stream whose
  // upstream reports no usage needs it (the gateway asks for usage), so it
  // loads on that first need. (The limits guardrail loads it when it counts tokens.)
  if (config.deployments.some((d) => d.provider === 'echo')) void tokenizer()

  // Shared state (REDIS_URL): rate limits, budgets, guardrail caches and key
  // evictions across instances. Redis down never fails a call: each use falls
  // back to this instance's state, counted here and logged (src/shared/redis.ts).
  const redisUrl = process.env.REDIS_URL?.trim() || undefined
  let shared: SharedRedis | undefined
  if (redisUrl) {
    const fallbacks = new Counter({
      name: 'portcullis_redis_fallback_total',
      help: 'Uses of shared state that fell back to per-instance state because Redis was unavailable, by what they were for (rate_limit, budget, trust_cache, key_eviction)',
      labelNames: ['op'],
      registers: [metrics.registry],
    })
    const up = new Gauge({ name: 'portcullis_redis_up', help: '1 while the connection to Redis (REDIS_URL) is up', registers: [metrics.registry] })
    const timeout = Number(process.env.PORTCULLIS_REDIS_TIMEOUT_MS)
    shared = new SharedRedis({
      url: redisUrl,
      logger,
      ...(timeout > 0 ? { timeoutMs: timeout } : {}),
      onFallback: (op) => fallbacks.inc({ op }),
      onStatus: (isUp) => up.set(isUp ? 1 : 0),
    })
    setCurrentShared(shared)
  }
  const limits = shared ? new KeyLimits(new RedisCounters(shared), new SharedSpend(shared)) : new KeyLimits(new LocalCounters())
  // Storage: records through the journal, virtual keys. Off only when the embedding program says so (tests).
  let keys: KeyStore | undefined
  let storage: Storage | undefined
  if (opts.storage !== false) {
    const dataDir = opts.storage?.dataDir ?? process.env.PORTCULLIS_DATA_DIR ?? './.portcullis'
    storage = new Storage({
      databaseUrl: config.general.databaseUrl ?? process.env.DATABASE_URL,
      dataDir,
      journalMaxBytes: config.general.journalMaxBytes,
      logger,
      onCommitted: (batch) => {
        for (const r of batch) {
          // the cached key takes the spend it now has in the database, without a
          // reload (a reload per flush cost a query, and failed while the database
          // was away again). A record replayed from an earlier run was never counted
          // here: its key is reloaded with the spend the database now holds.
          const moved = limits.committed(r.request_id)
          if (moved) keys?.addCommittedSpend(moved.keyHash, moved.spend)
          else if (r.key_hash && r.spend > 0) keys?.evict(r.key_hash)
        }
      },
      onFlushError: () => metrics.journalFlushFailures.inc(),
      onDeadLetter: (n) => metrics.recordsDeadLettered.inc(n),
    })
    const db = storage.db.bind(storage)
    keys = new KeyStore(db, 60_000)
    if (shared) {
      // a key deleted or changed on any instance leaves every instance's cache at once
      const store = keys
      const sh = shared
      store.onChanged = (hashes) => sh.publishEviction(hashes)
      shared.onEviction((hashes) => {
        for (const h of hashes) store.evict(h)
      })
      shared.onResync(() => store.evictAll())
    }
    const journal = storage.journal
    new Gauge({
      name: 'portcullis_journal_pending_records',
      help: 'Call records in the journal, not yet in the database',
      registers: [metrics.registry],
      collect() {
        this.set(journal.size.records)
      },
    })
  }
  if (shared) {
    // the first calls count in Redis too; a Redis that is not there delays the start by at most a second
    const ok = await shared.ready(1000)
    logger.info({ redis: redactUrl(redisUrl as string), connected: ok }, ok ? 'shared state in Redis' : 'Redis not reachable yet: per-instance state until it is')
  }
  const auth = new Authenticator(config.general.masterKey, keys)
  const recorder = { storage, limits, storePrompts: config.general.storePrompts, logger }
  const maxBytes = config.general.maxRequestBytes

  const app = Fastify({
    logger: false,
    bodyLimit: maxBytes,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  })
  app.decorateRequest('portcullis', null)

  // Clients that forget `content-type: application/json` (curl -d) still mean JSON.
  // fetch() with a string body and no header sends text/plain, which Fastify's
  // own text parser would turn into a string the validator rejects: drop it.
  app.removeContentTypeParser('text/plain')
  app.addContentTypeParser('*', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'))

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })
  app.addHook('onResponse', (request, reply, done) => {
    finish(request, reply.statusCode)
    done()
  })

  const finish = (request: FastifyRequest, status: number, outcome?: string): void => {
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
        ...(s.trace.decisions.length > 0 ? { guardrails: s.trace.decisions.map(logDecision) } : {}),
      },
      'request',
    )
  }

  app.setErrorHandler((err, request, reply) => {
    const ge = toGatewayError(err, maxBytes)
    if (ge.status >= 500 && ge.status !== 502 && ge.status !== 503 && ge.status !== 504) {
      logger.error({ reqId: request.id, err }, 'unexpected error')
    }
    if (ge.status === 499) {
      // The client is gone; nothing can be answered, only recorded.
      if (request.portcullis) finish(request, 499, 'client_closed')
      request.portcullis = null
      reply.code(499).send()
      return
    }
    if (ge.headers) reply.headers(ge.headers)
    if (err instanceof UpstreamError && err.deployment) {
      // which deployment failed, for the client's report and the call's record
      reply.header('x-portcullis-deployment', err.deployment)
      if (request.portcullis) request.portcullis.deployment ??= err.deployment
    }
    if (request.portcullis) {
      reply.headers(guardrailHeaders(request.portcullis.trace))
      try {
        recordCall(recorder, request, ge.status)
      } catch (recordErr) {
        const re = toGatewayError(recordErr, maxBytes)
        reply.code(re.status).send(re.toBody())
        return
      }
    }
    reply.code(ge.status).send(ge.toBody())
  })
  app.setNotFoundHandler((request, reply) => {
    // logged and counted like any request (a client on a mistyped path shows up);
    // one fixed label, so scanners cannot blow up the metrics
    request.portcullis = newRequestState('not_found')
    reply.code(404).send({
      error: { message: `unknown route: ${request.method} ${request.url.split('?')[0]}`, type: 'invalid_request_error', param: null, code: 'not_found' },
    })
  })

  let closing = false
  const server: PortcullisServer = {
    app,
    gateway,
    metrics,
    logger,
    auth,
    keys,
    storage,
    limits,
    record: (request, status) => recordCall(recorder, request, status),
    get closing() {
      return closing
    },
    async listen(host, port) {
      await app.listen({ host, port })
      const addr = app.server.address()
      const actualPort = typeof addr === 'object' && addr ? addr.port : port
      return `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`
    },
    async shutdown(deadlineMs = config.general.shutdownTimeoutMs) {
      if (closing) return
      closing = true
      const force = setTimeout(() => {
        logger.warn({ deadlineMs }, 'shutdown deadline passed; closing remaining connections')
        app.server.closeAllConnections()
      }, deadlineMs)
      force.unref()
      // Connections of requests that finish while we drain turn idle afterwards;
      // close them as they do instead of waiting for the client's keep-alive.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 50)
      try {
        await app.close()
      } finally {
        clearTimeout(force)
        clearInterval(sweep)
        // logging_only checks of answered calls still run before we go
        if (!(await queue.drain(deadlineMs))) logger.warn({ pending: queue.size }, 'logging_only checks left undone at shutdown')
        await Promise.allSettled(specs.map((s) => s.guardrail.close?.()))
        await client.close()
        // every answered call's record reaches the database (or stays in the journal for the next start)
        await storage?.close(deadlineMs)
        if (shared) {
          clearCurrentShared(shared)
          await shared.close()
        }
      }
    },
  }

  registerOpsRoutes(app, server)
  registerGuardrailRoutes(app, server, guardrails.policy)
  registerKeyRoutes(app, server, guardrails.policy)
  registerOpenAIRoutes(app, server, finish)
  return server
}

/** A decision as logged: never the texts, only what was decided and why. */
export function logDecision(d: Decision): Record<string, unknown> {
  return {
    name: d.guardrail,
    mode: d.mode,
    action: d.action,
    ...(d.reason ? { reason: d.reason } : {}),
    ...(d.error ? { error: d.error } : {}),
    ...(d.findings ? { findings: d.findings } : {}),
    ms: Math.round(d.ms * 100) / 100,
  }
}

export type FinishFn = (request: FastifyRequest, status: number, outcome?: string) => void
export type { FastifyReply }
