// One PostgreSQL dialect everywhere: embedded PGlite (WASM, no install) by
// default, a real PostgreSQL through `pg` when DATABASE_URL is set. Both sit
// behind this small interface, and every statement is parameterised.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

export interface Queryable {
  query<T extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>
  /** several statements without parameters (migrations) */
  exec(sql: string): Promise<void>
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres'
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  close(): Promise<void>
}

/**
 * PGlite's defaults size it like a server (hundreds of MB resident); a
 * gateway's tables are small, so it is kept lean.
 */
const PGLITE_CONF = ['shared_buffers = 8MB', 'work_mem = 1MB', 'wal_buffers = 256kB', 'temp_buffers = 1MB', 'maintenance_work_mem = 4MB']

export async function openDb(opts: { databaseUrl: string | undefined; dataDir: string }): Promise<Db> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl) : openPglite(join(opts.dataDir, 'pgdata'))
}

async function openPglite(dir: string): Promise<Db> {
  mkdirSync(dir, { recursive: true })
  const { PGlite } = await import('@electric-sql/pglite')
  const pg = await PGlite.create(dir, { postgresqlconf: PGLITE_CONF })
  type Raw = { query: (s: string, p?: unknown[]) => Promise<{ rows: unknown[] }>; exec: (s: string) => Promise<unknown> }
  const wrap = (q: Raw): Queryable => ({
    query: async <T extends object>(sql: string, params?: readonly unknown[]) => (await q.query(sql, params ? [...params] : undefined)).rows as T[],
    exec: async (sql) => {
      await q.exec(sql)
    },
  })
  return {
    kind: 'pglite',
    ...wrap(pg),
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    close: () => pg.close(),
  }
}

async function openPostgres(url: string): Promise<Db> {
  const { default: pg } = await import('pg')
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000 })
  // an idle client that loses its server must not crash the process; the next query reports it
  pool.on('error', () => {})
  return {
    kind: 'postgres',
    query: async (sql, params) => (await pool.query(sql, params ? [...params] : undefined)).rows,
    exec: async (sql) => {
      await pool.query(sql)
    },
    async transaction(fn) {
      const client = await pool.connect()
      // a checked-out client has no error listener of the pool's: a server that goes away
      // (restart, failover) would emit an unhandled 'error' and end the process
      let broken: Error | undefined
      const onError = (err: Error): void => {
        broken = err
      }
      client.on('error', onError)
      try {
        await client.query('BEGIN')
        const out = await fn({
          query: async (sql, params) => (await client.query(sql, params ? [...params] : undefined)).rows,
          // without parameters pg uses the simple protocol, which runs several statements
          exec: async (sql) => {
            await client.query(sql)
          },
        })
        await client.query('COMMIT')
        return out
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {})
        throw err
      } finally {
        client.removeListener('error', onError)
        client.release(broken)
      }
    },
    close: () => pool.end(),
  }
}
