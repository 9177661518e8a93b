// Call records: what every call leaves behind (never a key, never a prompt
// unless store_prompts is on), written through the journal and inserted in
// batches. The insert is idempotent on request_id, and a key's spend grows only
// by the records that were really inserted, in the same transaction, so a
// replayed journal never counts a call twice.
//
// A record carries client text (the model asked for, prompts with
// store_prompts). PostgreSQL refuses some of it (NUL in text or jsonb, lone
// surrogates in json), and a batch insert is all or nothing: every record is
// made storable before it is inserted, and a batch the database still refuses
// is split until the records it refuses are isolated (the caller keeps them
// aside), so one record never holds back the others.
import type { Db } from './db.ts'

export interface RecordedDecision {
  name: string
  mode: string
  action: string
  reason?: string
  /** why the guardrail could not decide, for an unevaluated or fail-closed decision */
  error?: string
  findings: number
  ms: number
}

export interface CallRecord {
  /** the gateway's id for the call: the record's key */
  request_id: string
  /** the x-request-id the client sent, if any: for correlation only */
  client_request_id?: string | null
  started_at: string
  key_hash: string | null
  key_alias: string | null
  team_id: string | null
  route: string
  model: string | null
  deployment: string | null
  status: number
  prompt_tokens: number
  completion_tokens: number
  spend: number
  latency_ms: number
  stream: boolean
  decisions: RecordedDecision[]
  prompt?: unknown
  response?: unknown
}

const COLUMNS = [
  'request_id', 'client_request_id', 'started_at', 'key_hash', 'key_alias', 'team_id', 'route', 'model', 'deployment', 'status',
  'prompt_tokens', 'completion_tokens', 'spend', 'latency_ms', 'stream', 'decisions', 'prompt', 'response',
] as const

// One statement per batch, its rows in one JSON parameter: PostgreSQL unpacks
// them (json_populate_recordset), inserts the new ones and adds their spend to
// their keys, atomically. A VALUES list of 17 placeholders per row cost about
// 70 µs of gateway CPU per record on embedded PGlite (building, binding and
// planning thousands of parameters); this costs a fraction of it.
const INSERT = `
with incoming as (
  select * from json_populate_recordset(null::requests, $1::json)
), ins as (
  insert into requests (${COLUMNS.join(', ')})
  select ${COLUMNS.join(', ')} from incoming
  on conflict (request_id) do nothing
  returning key_hash, spend
), per_key as (
  select key_hash, sum(spend) as total from ins where key_hash is not null and spend > 0 group by key_hash
), charged as (
  update keys set spend = keys.spend + per_key.total, updated_at = now() from per_key where keys.key_hash = per_key.key_hash
  returning 1
)
select count(*)::int as inserted from ins`

export async function insertRecords(db: Db, batch: readonly CallRecord[]): Promise<number> {
  if (batch.length === 0) return 0
  // a request id seen twice in one batch (replay + retry) is inserted once
  const unique = [...new Map(batch.map((r) => [r.request_id, storable(r)])).values()]
  const rows = await db.query<{ inserted: number }>(INSERT, [JSON.stringify(unique)])
  return rows[0]?.inserted ?? 0
}

/** A record the database refused on its own, with the database's reason (for the operator, never a client). */
export interface RefusedRecord {
  record: CallRecord
  error: string
}

/**
 * Inserts a batch; when the database refuses its data, halves it until each
 * refused record stands alone, inserts the rest, and returns the refused ones.
 * Any other failure (the database is away) is thrown: the batch is retried.
 */
export async function insertIsolating(db: Db, batch: readonly CallRecord[]): Promise<RefusedRecord[]> {
  try {
    await insertRecords(db, batch)
    return []
  } catch (err) {
    if (!refusesData(err)) throw err
    if (batch.length === 1) return [{ record: batch[0] as CallRecord, error: (err as Error).message }]
    const half = Math.ceil(batch.length / 2)
    return [...(await insertIsolating(db, batch.slice(0, half))), ...(await insertIsolating(db, batch.slice(half)))]
  }
}

/** A PostgreSQL error about the data sent (SQLSTATE classes 22 data exception, 23 integrity, 54 limit exceeded), not about reaching the database. */
function refusesData(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^(22|23|54)/.test(code)
}

/** Longest text kept in a record's text columns and decision reasons. */
const MAX_FIELD = 1024
/** Deepest nesting of a stored prompt or answer; deeper parts are replaced by a marker. */
const MAX_DEPTH = 64
const INT_MAX = 2_147_483_647

/**
 * The record as the database can store it: text without NUL or lone
 * surrogates (each becomes U+FFFD), text columns capped, counts that fit an
 * integer column, spend and latency finite.
 */
export function storable(r: CallRecord): CallRecord {
  const out: CallRecord = {
    ...r,
    request_id: text(r.request_id, MAX_FIELD),
    client_request_id: nullableText(r.client_request_id),
    started_at: text(r.started_at, 64),
    key_hash: nullableText(r.key_hash),
    key_alias: nullableText(r.key_alias),
    team_id: nullableText(r.team_id),
    route: text(r.route, MAX_FIELD),
    model: nullableText(r.model),
    deployment: nullableText(r.deployment),
    status: count(r.status),
    prompt_tokens: count(r.prompt_tokens),
    completion_tokens: count(r.completion_tokens),
    spend: finite(r.spend),
    latency_ms: finite(r.latency_ms),
    stream: r.stream === true,
    decisions: (Array.isArray(r.decisions) ? r.decisions : []).map((d) => ({
      name: text(d.name, MAX_FIELD),
      mode: text(d.mode, MAX_FIELD),
      action: text(d.action, MAX_FIELD),
      ...(d.reason !== undefined ? { reason: text(d.reason, MAX_FIELD) } : {}),
      ...(d.error !== undefined ? { error: text(d.error, MAX_FIELD) } : {}),
      findings: count(d.findings),
      ms: finite(d.ms),
    })),
  }
  if (r.prompt !== undefined) out.prompt = json(r.prompt, 0)
  if (r.response !== undefined) out.response = json(r.response, 0)
  return out
}

// NUL, and a surrogate half without its other half
const UNSTORABLE = /[\u0000]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

function text(v: unknown, max: number): string {
  let s = typeof v === 'string' ? v : String(v ?? '')
  if (s.length > max) s = s.slice(0, max)
  return s.replace(UNSTORABLE, '\ufffd')
}

const nullableText = (v: unknown): string | null => (v === null || v === undefined ? null : text(v, MAX_FIELD))
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.min(Math.round(v), INT_MAX) : 0)
const finite = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0)

/** A stored prompt or answer with every string and key storable (strings are not capped: store_prompts keeps them whole). */
function json(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return text(v, Infinity)
  if (typeof v !== 'object' || v === null) return typeof v === 'number' && !Number.isFinite(v) ? null : v
  if (depth >= MAX_DEPTH) return '[nested too deep to store]'
  if (Array.isArray(v)) return v.map((x) => json(x, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v)) out[text(k, Infinity)] = json(x, depth + 1)
  return out
}

export interface RecordFilter {
  requestId?: string
  clientRequestId?: string
  keyHash?: string
  keyAlias?: string
  model?: string
  startDate?: string
  endDate?: string
  limit: number
}

export async function queryRecords(db: Db, f: RecordFilter): Promise<CallRecord[]> {
  const where: string[] = []
  const params: unknown[] = []
  const add = (clause: string, value: unknown): void => {
    params.push(value)
    where.push(clause.replace('?', `$${params.length}`))
  }
  if (f.requestId) add('request_id = ?', f.requestId)
  if (f.clientRequestId) add('client_request_id = ?', f.clientRequestId)
  if (f.keyHash) add('key_hash = ?', f.keyHash)
  if (f.keyAlias) add('key_alias = ?', f.keyAlias)
  if (f.model) add('model = ?', f.model)
  if (f.startDate) add('started_at >= ?', f.startDate)
  if (f.endDate) add('started_at <= ?', f.endDate)
  params.push(f.limit)
  const rows = await db.query<Record<string, unknown>>(
    `select ${COLUMNS.join(', ')} from requests ${where.length ? 'where ' + where.join(' and ') : ''} order by started_at desc limit $${params.length}`,
    params,
  )
  return rows.map((r) => ({
    ...(r as unknown as CallRecord),
    started_at: new Date(r.started_at as string | Date).toISOString(),
    spend: Number(r.spend),
    latency_ms: Number(r.latency_ms),
    decisions: parseJson(r.decisions) as RecordedDecision[],
    prompt: parseJson(r.prompt) ?? undefined,
    response: parseJson(r.response) ?? undefined,
  }))
}

/** jsonb comes back parsed from pg and PGlite alike, but be safe with strings. */
function parseJson(v: unknown): unknown {
  if (typeof v !== 'string') return v ?? null
  try {
    return JSON.parse(v)
  } catch {
    return v
  }
}
