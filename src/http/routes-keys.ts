// LiteLLM's key and spend admin routes (master key only): generate, update,
// delete, info, list, and the call records with their guardrail decisions.
// A generated key is returned once; everything else names keys by their hash
// (LiteLLM's "token") or alias.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { hashKey, type KeyInput, type KeyStore, type VirtualKey } from '../auth/keys.ts'
import { badRequest, GatewayError } from '../errors.ts'
import type { JsonObject } from '../json.ts'
import { parseDuration } from '../auth/duration.ts'
import { adminOnly } from './admin-only.ts'
import type { HttpServices } from './services.ts'

const duration = z.string().refine((d) => parseDuration(d) !== undefined, 'must be a duration like 30s, 15m, 12h, 7d or 1mo')
const limit = z.number().int().positive()

const KeyFields = z.object({
  models: z.array(z.string().min(1)).optional(),
  guardrails: z.array(z.string().min(1)).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  max_budget: z.number().nonnegative().nullable().optional(),
  budget_duration: duration.nullable().optional(),
  rpm_limit: limit.nullable().optional(),
  tpm_limit: limit.nullable().optional(),
  duration: duration.nullable().optional(),
  key_alias: z.string().min(1).max(256).nullable().optional(),
  team_id: z.string().min(1).max(256).nullable().optional(),
})

export function registerKeyRoutes(app: FastifyInstance, services: HttpServices): void {
  const admin = (route: string) => async (request: FastifyRequest): Promise<void> => {
    await adminOnly(services, route)(request)
    if (services.auth.open) throw new GatewayError(400, 'virtual keys need general_settings.master_key: without one the gateway is open to everyone', { code: 'master_key_required' })
  }
  const store = (): KeyStore => {
    if (!services.keys) throw new GatewayError(503, 'this gateway runs without storage', { code: 'storage_unavailable' })
    return services.keys
  }
  const fields = (body: unknown): KeyInput => {
    const r = KeyFields.safeParse(body ?? {})
    if (!r.success) {
      const i = r.error.issues[0]
      throw badRequest(`${i?.path.join('.') ?? 'body'}: ${i?.message ?? 'invalid'}`, i?.path.join('.') ?? null)
    }
    for (const g of r.data.guardrails ?? []) {
      if (!services.guardrails.has(g)) throw badRequest(`unknown guardrail "${g}"; GET /guardrails/list names the configured ones`, 'guardrails')
    }
    for (const m of r.data.models ?? []) {
      if (!services.gateway.modelNames().includes(m)) throw badRequest(`unknown model "${m}"; GET /v1/models lists them`, 'models')
    }
    return r.data as KeyInput
  }
  /** a key named by its plaintext (sk-…) or by its hash */
  const hashOf = (v: unknown, param: string): string => {
    if (typeof v !== 'string' || v === '') throw badRequest(`${param} is required`, param)
    return /^[0-9a-f]{64}$/.test(v) ? v : hashKey(v)
  }

  app.post('/key/generate', { onRequest: admin('key_generate') }, async (request): Promise<JsonObject> => {
    const { key, info } = await withStorage(() => store().generate(fields(request.body)))
    return { key, ...describe(info) }
  })

  app.post('/key/update', { onRequest: admin('key_update') }, async (request): Promise<JsonObject> => {
    const body = (request.body ?? {}) as { key?: unknown }
    const hash = hashOf(body.key, 'key')
    const { key: _ignored, ...rest } = body as Record<string, unknown>
    const updated = await withStorage(() => store().update(hash, fields(rest)))
    if (!updated) throw new GatewayError(404, 'no such key', { code: 'key_not_found' })
    return describe(updated)
  })

  app.post('/key/delete', { onRequest: admin('key_delete') }, async (request): Promise<JsonObject> => {
    const body = (request.body ?? {}) as { keys?: unknown; key_aliases?: unknown }
    const keys = Array.isArray(body.keys) ? body.keys.map((k) => hashOf(k, 'keys')) : []
    const aliases = Array.isArray(body.key_aliases) ? body.key_aliases.filter((a): a is string => typeof a === 'string') : []
    if (keys.length === 0 && aliases.length === 0) throw badRequest('send {"keys": [...]} or {"key_aliases": [...]}', 'keys')
    const hashes = [...keys, ...(await withStorage(() => store().hashesForAliases(aliases)))]
    // the key store evicts them from this instance's cache at once
    const deleted = await withStorage(() => store().delete(hashes))
    return { deleted_keys: deleted }
  })

  app.get('/key/info', { onRequest: admin('key_info') }, async (request): Promise<JsonObject> => {
    const hash = hashOf((request.query as { key?: unknown }).key, 'key')
    const info = await withStorage(() => store().info(hash))
    if (!info) throw new GatewayError(404, 'no such key', { code: 'key_not_found' })
    return { key: hash, info: describe(info) }
  })

  app.get('/key/list', { onRequest: admin('key_list') }, async (request): Promise<JsonObject> => {
    const q = request.query as { page?: string; size?: string; return_full_object?: string }
    const page = Math.max(1, Number(q.page ?? 1) || 1)
    const size = Math.min(100, Math.max(1, Number(q.size ?? 10) || 10))
    const { keys, total } = await withStorage(() => store().list(page, size))
    return {
      keys: q.return_full_object === 'true' ? keys.map(describe) : keys.map((k) => k.hash),
      total_count: total,
      current_page: page,
      total_pages: Math.ceil(total / size),
    }
  })

  app.get('/spend/logs', { onRequest: admin('spend_logs') }, async (request): Promise<readonly object[]> => {
    const spendLogs = services.spendLogs
    if (!spendLogs) throw new GatewayError(503, 'this gateway runs without storage', { code: 'storage_unavailable' })
    const q = request.query as Record<string, string | undefined>
    return withStorage(() =>
      spendLogs({
        ...(q.request_id ? { requestId: q.request_id } : {}),
        ...(q.api_key ? { keyHash: hashOf(q.api_key, 'api_key') } : {}),
        ...(q.key_alias ? { keyAlias: q.key_alias } : {}),
        ...(q.model ? { model: q.model } : {}),
        ...(q.start_date ? { startDate: isoDate(q.start_date, 'start_date') } : {}),
        ...(q.end_date ? { endDate: isoDate(q.end_date, 'end_date') } : {}),
        limit: Math.min(1000, Math.max(1, Number(q.limit ?? 100) || 100)),
      }),
    )
  })
}

function isoDate(v: string, param: string): string {
  const t = Date.parse(v)
  if (Number.isNaN(t)) throw badRequest(`${param} must be a date (ISO 8601)`, param)
  return new Date(t).toISOString()
}

/** A storage failure is a 503, never a 500. */
async function withStorage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof GatewayError) throw err
    throw new GatewayError(503, `key storage is unavailable: ${(err as Error).message.split('\n')[0]}`, { code: 'storage_unavailable' })
  }
}

/** A key as the admin routes show it: never the key itself, its hash as LiteLLM's `token`. */
function describe(k: VirtualKey): JsonObject {
  return {
    token: k.hash,
    key_alias: k.alias,
    team_id: k.teamId,
    models: k.models,
    guardrails: k.guardrails,
    metadata: k.metadata,
    max_budget: k.maxBudget,
    budget_duration: k.budgetDuration,
    budget_reset_at: k.budgetResetAt?.toISOString() ?? null,
    spend: k.spend,
    rpm_limit: k.rpmLimit,
    tpm_limit: k.tpmLimit,
    expires: k.expiresAt?.toISOString() ?? null,
    created_at: k.createdAt.toISOString(),
  }
}
