// The composition root: the one module that knows every layer. It builds the
// application from a validated config, in order — metrics, shared state
// (Redis), guardrails, the gateway (router, providers, upstream client),
// per-key quotas, storage and virtual keys, authentication — hands the HTTP
// layer what it serves, and takes it all down again in reverse on shutdown.
// The request lifecycle itself reads top to bottom in src/gateway/gateway.ts.
import { recordCall } from './app/record-call.ts'
import { requireModelAllowed } from './auth/key-policy.ts'
import { KeyStore } from './auth/keys.ts'
import { Authenticator } from './auth/master-key.ts'
import { readEnvironment, type Environment } from './config/environment.ts'
import type { ConfigIssue, GatewayConfig } from './config/load.ts'
import { GatewayError } from './errors.ts'
import { Gateway } from './gateway/gateway.ts'
import { summarize } from './gateway/trace.ts'
import { buildGuardrails } from './guardrails/build.ts'
import { BoundedQueue } from './guardrails/logging-queue.ts'
import { GuardrailPipeline } from './guardrails/pipeline.ts'
import { GuardrailPolicy } from './guardrails/policy.ts'
import { GUARDRAIL_REQUEST_FIELDS } from './guardrails/registry.ts'
import type { GuardrailSpec } from './guardrails/spec.ts'
import type { Decision } from './guardrails/types.ts'
import { createHttpServer, type HttpServer } from './http/server.ts'
import type { HttpServices } from './http/services.ts'
import { chatProtocol } from './protocols/chat/chat.ts'
import { completionProtocol } from './protocols/chat/completion.ts'
import { embeddingsProtocol } from './protocols/chat/embeddings.ts'
import type { AnyProtocol } from './protocols/protocol.ts'
import type { ProviderKind } from './providers/registry.ts'
import type { Provider } from './providers/types.ts'
import { createAnthropicProvider } from './providers/anthropic.ts'
import { createEchoProvider } from './providers/echo.ts'
import { createOpenAIProvider } from './providers/openai.ts'
import { tokenizer } from './providers/tokens.ts'
import { UpstreamClient } from './providers/upstream-client.ts'
import { LocalCounters } from './quotas/counters.ts'
import { KeyQuotas } from './quotas/key-quotas.ts'
import { RedisCounters } from './quotas/redis-counters.ts'
import { SharedSpend } from './quotas/shared-spend.ts'
import { Router } from './router/router.ts'
import { redactUrl, SharedRedis } from './shared/redis.ts'
import { queryRecords } from './store/records.ts'
import { Storage } from './store/storage.ts'
import { createLogger, type Logger } from './telemetry/logger.ts'
import { Metrics } from './telemetry/metrics.ts'

/** The inbound protocols served, each on its own paths. */
const PROTOCOLS: readonly AnyProtocol[] = [chatProtocol, completionProtocol, embeddingsProtocol]

export interface AppOptions {
  logger?: Logger
  /** where records and keys live; `false` runs without storage (no records, no virtual keys — for tests) */
  storage?: { dataDir: string } | false
  /** YAML line of a config path, for guardrail set-up errors */
  lineOf?: (path: (string | number)[]) => number | undefined
  /** the process environment it runs in; read from process.env when not given */
  env?: Environment
}

export interface App {
  logger: Logger
  storage: Storage | undefined
  http: HttpServer
  listen(host: string, port: number): Promise<string>
  /** stops accepting, lets in-flight requests and streams finish up to the deadline, then closes everything */
  shutdown(deadlineMs?: number): Promise<void>
}

export async function createApp(config: GatewayConfig, opts: AppOptions = {}): Promise<App> {
  const env = opts.env ?? readEnvironment()
  const logger = opts.logger ?? createLogger({ level: env.logLevel })
  const storageDir = opts.storage === false ? undefined : (opts.storage?.dataDir ?? env.dataDir)
  const metrics = new Metrics({ redis: env.redisUrl !== undefined, journal: storageDir !== undefined })
  const shared = env.redisUrl ? sharedState(env.redisUrl, env, logger, metrics) : undefined

  let specs: GuardrailSpec[]
  try {
    const warnings: ConfigIssue[] = []
    specs = await buildGuardrails(config, opts.lineOf, warnings, shared)
    for (const w of warnings) logger.warn({ path: w.path, line: w.line }, w.message)
  } catch (err) {
    await shared?.close()
    throw err
  }
  const queue = loggingQueue(config, metrics, logger)
  const guardrails = new GuardrailPipeline({
    policy: new GuardrailPolicy(specs),
    queue,
    streamWindow: config.general.guardrailStreamWindow,
    observe: decisionObserver(metrics, logger),
    typeFields: GUARDRAIL_REQUEST_FIELDS,
  })
  const client = new UpstreamClient({ connectionsPerOrigin: config.general.upstreamMaxConnections, keepAliveTimeoutMs: 30_000 })
  const gateway = new Gateway({ router: new Router(config.deployments, config.router), providers: providers(client), metrics, guardrails })
  // The echo model counts tokens on every call: its encoding (some 70 MB resident)
  // loads now rather than on the first call. Otherwise only a stream whose
  // upstream reports no usage needs it (the gateway asks for usage), so it
  // loads on that first need. (The limits guardrail loads it when it counts tokens.)
  if (config.deployments.some((d) => d.provider === 'echo')) void tokenizer()

  const quotas = shared ? new KeyQuotas(new RedisCounters(shared), new SharedSpend(shared)) : new KeyQuotas(new LocalCounters())
  const store = storageDir === undefined ? undefined : storageAndKeys(config, env, storageDir, quotas, shared, metrics, logger)
  if (shared && env.redisUrl) {
    // the first calls count in Redis too; a Redis that is not there delays the start by at most a second
    const ok = await shared.ready(1000)
    logger.info({ redis: redactUrl(env.redisUrl), connected: ok }, ok ? 'shared state in Redis' : 'Redis not reachable yet: per-instance state until it is')
  }
  const auth = new Authenticator(config.general.masterKey, store?.keys)
  const storage = store?.storage

  const services = httpServices({ gateway, guardrails, auth, quotas, storage, keys: store?.keys, metrics, logger, storePrompts: config.general.storePrompts })
  const http = createHttpServer(services, { maxRequestBytes: config.general.maxRequestBytes })

  let stopping: Promise<void> | undefined
  return {
    logger,
    storage,
    http,
    listen: (host, port) => http.listen(host, port),
    shutdown(deadlineMs = config.general.shutdownTimeoutMs) {
      stopping ??= (async () => {
        try {
          await http.close(deadlineMs)
        } finally {
          // logging_only checks of answered calls still run before we go
          if (!(await queue.drain(deadlineMs))) logger.warn({ pending: queue.size }, 'logging_only checks left undone at shutdown')
          await Promise.allSettled(specs.map((s) => s.guardrail.close?.()))
          await client.close()
          // every answered call's record reaches the database (or stays in the journal for the next start)
          await storage?.close(deadlineMs)
          await shared?.close()
        }
      })()
      return stopping
    },
  }
}

/** One provider per kind of deployment, sharing the upstream connection pools. */
function providers(client: UpstreamClient): Readonly<Record<ProviderKind, Provider>> {
  return {
    openai: createOpenAIProvider(client, 'openai'),
    azure: createOpenAIProvider(client, 'azure'),
    anthropic: createAnthropicProvider(client),
    echo: createEchoProvider(),
  }
}

interface ServiceParts {
  gateway: Gateway
  guardrails: GuardrailPipeline
  auth: Authenticator
  quotas: KeyQuotas
  storage: Storage | undefined
  keys: KeyStore | undefined
  metrics: Metrics
  logger: Logger
  storePrompts: boolean
}

/** What the HTTP layer serves, from the parts built above. */
function httpServices(p: ServiceParts): HttpServices {
  const { gateway, guardrails, storage, quotas } = p
  const recorder = { storage, quotas, storePrompts: p.storePrompts, logger: p.logger }
  return {
    gateway,
    auth: p.auth,
    protocols: PROTOCOLS,
    logger: p.logger,
    metrics: p.metrics,
    guardrails: {
      list: () => guardrails.list(),
      has: (name) => guardrails.has(name),
      apply: (name, text, requestId, trace) => guardrails.apply(name, text, requestId, trace),
    },
    keys: p.keys,
    spendLogs: storage ? async (q) => queryRecords(await storage.db(), q) : undefined,
    async admit(state) {
      // records that could not be kept would be lost: new calls are refused while the journal is over its bound
      if (storage?.journal.full) {
        throw new GatewayError(503, 'the gateway is refusing new calls: its record journal is full while the database is unreachable', {
          code: 'records_backlog',
          headers: { 'retry-after': '5' },
        })
      }
      const key = state.caller?.kind === 'key' ? state.caller.key : undefined
      if (!key) return
      requireModelAllowed(key, (state.body as { model?: unknown } | undefined)?.model)
      await quotas.admit(key)
    },
    record: (requestId, state, status) => recordCall(recorder, requestId, state, status),
    dbState: () => storage?.state ?? 'none',
  }
}

/**
 * Shared state (REDIS_URL): rate limits, budgets, guardrail caches and key
 * evictions across instances. Redis down never fails a call: each use falls
 * back to this instance's state, counted and logged (src/shared/redis.ts).
 */
function sharedState(url: string, env: Environment, logger: Logger, metrics: Metrics): SharedRedis {
  return new SharedRedis({
    url,
    logger,
    ...(env.redisTimeoutMs !== undefined ? { timeoutMs: env.redisTimeoutMs } : {}),
    onFallback: (op) => metrics.redisFallbacks?.inc({ op }),
    onStatus: (isUp) => metrics.redisUp?.set(isUp ? 1 : 0),
  })
}

/** logging_only checks wait here, off the hot path; overflow is dropped, counted and logged. */
function loggingQueue(config: GatewayConfig, metrics: Metrics, logger: Logger): BoundedQueue {
  return new BoundedQueue(config.general.guardrailQueueSize, 4, {
    dropped: () => {
      metrics.guardrailQueueDropped.inc()
      logger.warn('logging_only guardrail queue full: check dropped')
    },
    failed: (err) => logger.error({ err }, 'logging_only guardrail job failed'),
  })
}

/** Every guardrail decision, to the metrics; logging_only ones also get a log line of their own (they come after the request's). */
function decisionObserver(metrics: Metrics, logger: Logger): (d: Decision) => void {
  return (d) => {
    metrics.guardrailRequests.inc({ guardrail: d.guardrail, mode: d.mode, action: d.action })
    metrics.guardrailLatency.observe({ guardrail: d.guardrail, mode: d.mode }, d.ms / 1000)
    if (d.error) metrics.guardrailErrors.inc({ guardrail: d.guardrail, mode: d.mode, kind: d.error })
    if (d.mode === 'logging_only') {
      const { findings, ...rest } = summarize(d)
      logger.info({ guardrail: findings > 0 ? { ...rest, findings } : rest }, 'guardrail decision')
    }
  }
}

/**
 * Storage (records through the journal) and the virtual keys kept in it. A
 * committed batch moves its spend from the quotas' uncommitted count to the
 * cached keys; with Redis, a key changed on any instance leaves every
 * instance's cache at once.
 */
function storageAndKeys(
  config: GatewayConfig,
  env: Environment,
  dataDir: string,
  quotas: KeyQuotas,
  shared: SharedRedis | undefined,
  metrics: Metrics,
  logger: Logger,
): { storage: Storage; keys: KeyStore } {
  let keys: KeyStore | undefined
  const storage = new Storage({
    databaseUrl: config.general.databaseUrl ?? env.databaseUrl,
    dataDir,
    journalMaxBytes: config.general.journalMaxBytes,
    logger,
    onCommitted: (batch) => {
      for (const r of batch) {
        // the cached key takes the spend it now has in the database, without a
        // reload (that would cost a query per flush, and fail while the
        // database is away). A record replayed from an earlier run was never
        // counted here: its key is reloaded with the spend the database holds.
        const moved = quotas.committed(r.request_id)
        if (moved) keys?.addCommittedSpend(moved.keyHash, moved.spend)
        else if (r.key_hash && r.spend > 0) keys?.evict(r.key_hash)
      }
    },
    onFlushError: () => metrics.journalFlushFailures.inc(),
    onDeadLetter: (n) => metrics.recordsDeadLettered.inc(n),
  })
  keys = new KeyStore(() => storage.db(), 60_000)
  metrics.pendingRecords = () => storage.journal.size.records
  if (shared) {
    const store = keys
    store.onChanged = (hashes) => shared.publishEviction(hashes)
    shared.onEviction((hashes) => {
      for (const h of hashes) store.evict(h)
    })
    shared.onResync(() => store.evictAll())
  }
  return { storage, keys }
}
