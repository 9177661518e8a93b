// Call records: what every call leaves behind (never a key, never a prompt
// unless store_prompts is on), written through the journal and inserted in
// batches. The insert is idempotent on request_id, and a key's spend grows only
// by the records that were really inserted, in the same transaction, so a
// replayed journal never counts a call twice.
import type { Db } from './db.ts'

export interface RecordedDecision {
  name: string
  mode: string
  action: string
  reason?: string
  findings: number
  ms: number
}

export interface CallRecord {
  request_id: string
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
  'request_id', 'started_at', 'key_hash', 'key_alias', 'team_id', 'route', 'model', 'deployment', 'status',
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
  const unique = [...new Map(batch.map((r) => [r.request_id, r])).values()]
  const rows = await db.query<{ inserted: number }>(INSERT, [JSON.stringify(unique)])
  return rows[0]?.inserted ?? 0
}

export interface RecordFilter {
  requestId?: string
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
