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

export async function insertRecords(db: Db, batch: readonly CallRecord[]): Promise<number> {
  if (batch.length === 0) return 0
  // a request id seen twice in one batch (replay + retry) is inserted once
  const unique = [...new Map(batch.map((r) => [r.request_id, r])).values()]
  const params: unknown[] = []
  const rows = unique.map((r) => {
    const values = [
      r.request_id, r.started_at, r.key_hash, r.key_alias, r.team_id, r.route, r.model, r.deployment, r.status,
      r.prompt_tokens, r.completion_tokens, r.spend, r.latency_ms, r.stream, JSON.stringify(r.decisions),
      r.prompt === undefined ? null : JSON.stringify(r.prompt), r.response === undefined ? null : JSON.stringify(r.response),
    ]
    const start = params.length
    params.push(...values)
    return `(${values.map((_, i) => `$${start + i + 1}`).join(', ')})`
  })
  return db.transaction(async (tx) => {
    const inserted = await tx.query<{ key_hash: string | null; spend: number }>(
      `insert into requests (${COLUMNS.join(', ')}) values ${rows.join(', ')} on conflict (request_id) do nothing returning key_hash, spend`,
      params,
    )
    const perKey = new Map<string, number>()
    for (const r of inserted) if (r.key_hash && r.spend > 0) perKey.set(r.key_hash, (perKey.get(r.key_hash) ?? 0) + Number(r.spend))
    for (const [hash, spend] of perKey) {
      await tx.query('update keys set spend = spend + $1, updated_at = now() where key_hash = $2', [spend, hash])
    }
    return inserted.length
  })
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
