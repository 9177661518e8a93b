// Versioned schema migrations, run at start. Several instances may start at
// once against one PostgreSQL: an advisory lock serialises them, and each
// version is applied once.
import type { Db } from './db.ts'

interface Migration {
  version: number
  sql: string
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      create table keys (
        key_hash text primary key,
        key_alias text,
        team_id text,
        models jsonb not null default '[]',
        guardrails jsonb not null default '[]',
        metadata jsonb not null default '{}',
        max_budget double precision,
        budget_duration text,
        budget_reset_at timestamptz,
        spend double precision not null default 0,
        rpm_limit integer,
        tpm_limit integer,
        expires_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      create index keys_alias on keys (key_alias);
      create table requests (
        request_id text primary key,
        started_at timestamptz not null,
        key_hash text,
        key_alias text,
        team_id text,
        route text not null,
        model text,
        deployment text,
        status integer not null,
        prompt_tokens integer not null default 0,
        completion_tokens integer not null default 0,
        spend double precision not null default 0,
        latency_ms double precision not null,
        stream boolean not null default false,
        decisions jsonb not null default '[]',
        prompt jsonb,
        response jsonb
      );
      create index requests_key_time on requests (key_hash, started_at);
      create index requests_model_time on requests (model, started_at);
      create index requests_time on requests (started_at);
    `,
  },
  {
    // request_id is the gateway's own id for the call (the idempotency key of
    // its record); the id a client sent in x-request-id is only a correlation
    // field, searchable, never a key: twenty calls sharing one are twenty records
    version: 2,
    sql: `
      alter table requests add column client_request_id text;
      create index requests_client_id on requests (client_request_id);
    `,
  },
]

const LOCK_ID = 7_401_229

export async function migrate(db: Db): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [LOCK_ID])
    await tx.query('create table if not exists schema_migrations (version integer primary key, applied_at timestamptz not null default now())')
    const done = new Set((await tx.query<{ version: number }>('select version from schema_migrations')).map((r) => r.version))
    let applied = 0
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue
      await tx.exec(m.sql)
      await tx.query('insert into schema_migrations (version) values ($1)', [m.version])
      applied++
    }
    return applied
  })
}
