// One PostgreSQL dialect everywhere: embedded PGlite (WASM, no install) by
// default, a real PostgreSQL through `pg` when DATABASE_URL is set. Both sit
// behind this small interface, and every statement is parameterised.
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { PgliteThread } from './pglite-thread.ts'

const run = promisify(execFile)

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

export async function openDb(opts: { databaseUrl: string | undefined; dataDir: string }): Promise<Db> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl) : openPglite(join(opts.dataDir, 'pgdata'))
}

/** Creates the database in `dir` in a process that then ends (see pglite-init.ts). */
async function initPglite(dir: string): Promise<void> {
  try {
    await run(process.execPath, [fileURLToPath(new URL('./pglite-init.ts', import.meta.url)), dir], { timeout: 120_000 })
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`could not create the embedded database in ${dir}: ${(e.stderr || e.message).trim().split('\n').at(-1)}`)
  }
}

/**
 * PGlite runs in a worker thread (pglite-worker.ts): its WASM PostgreSQL costs
 * tens of microseconds of CPU per record, which the event loop answering calls
 * should not pay. The worker answers in order, one message at a time; a
 * transaction holds back this process's other statements until it ends, so
 * BEGIN … COMMIT sent as plain statements are never interleaved.
 */
async function openPglite(dir: string): Promise<Db> {
  mkdirSync(dir, { recursive: true })
  if (!existsSync(join(dir, 'PG_VERSION'))) await initPglite(dir)
  const thread = new PgliteThread(dir)
  const on = (generation?: number): Queryable => ({
    query: async <T extends object>(sql: string, params?: readonly unknown[]) => (await thread.send({ op: 'query', sql, params: params ? [...params] : undefined }, generation)) as T[],
    exec: async (sql) => {
      await thread.send({ op: 'exec', sql }, generation)
    },
  })
  const raw = on()
  // statements outside a transaction wait for the one in progress
  let inTransaction: Promise<unknown> = Promise.resolve()
  try {
    await thread.send({ op: 'open' })
  } catch (err) {
    await thread.close()
    throw err
  }
  return {
    kind: 'pglite',
    query: async (sql, params) => {
      await inTransaction
      return raw.query(sql, params)
    },
    exec: async (sql) => {
      await inTransaction
      return raw.exec(sql)
    },
    async transaction(fn) {
      const before = inTransaction
      let end!: () => void
      inTransaction = new Promise<void>((r) => (end = r))
      try {
        await before
        return await runTransaction(on(thread.current()), fn)
      } finally {
        end()
      }
    },
    close: () => thread.close(),
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
        return await runTransaction(
          {
            query: async (sql, params) => (await client.query(sql, params ? [...params] : undefined)).rows,
            // without parameters pg uses the simple protocol, which runs several statements
            exec: async (sql) => {
              await client.query(sql)
            },
          },
          fn,
        )
      } finally {
        client.removeListener('error', onError)
        client.release(broken)
      }
    },
    close: () => pool.end(),
  }
}

/** `fn` between BEGIN and COMMIT on one connection; ROLLBACK when it throws. */
async function runTransaction<T>(tx: Queryable, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  await tx.exec('BEGIN')
  try {
    const out = await fn(tx)
    await tx.exec('COMMIT')
    return out
  } catch (err) {
    await tx.exec('ROLLBACK').catch(() => {})
    throw err
  }
}
