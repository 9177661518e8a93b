// Storage as the gateway runs it: the journal opens at once (records can be
// appended from the first request), the database opens and migrates in the
// background — retried while it is unreachable — and the journal starts
// flushing to it once it is ready. Nothing on the hot path waits for it.
// A record the database refuses on its own (after records.ts made it storable)
// is set aside in a dead-letter file rather than holding back the journal.
import { appendFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../telemetry/logger.ts'
import { openDb, type Db } from './db.ts'
import { Journal } from './journal.ts'
import { migrate } from './migrations.ts'
import { insertIsolating, type CallRecord, type RefusedRecord } from './records.ts'

export interface StorageOptions {
  databaseUrl: string | undefined
  dataDir: string
  journalMaxBytes: number
  logger: Logger
  /** after a batch is committed (budgets drop their uncommitted spend, key caches reload) */
  onCommitted: (batch: readonly CallRecord[]) => void
  onFlushError: () => void
  /** records the database refused, set aside in the dead-letter file */
  onDeadLetter?: (n: number) => void
}

export class Storage {
  readonly journal: Journal<CallRecord>
  private readonly ready: Promise<Db>
  private dbHandle: Db | undefined
  /** why the last attempt to open the database failed (cleared once it is open) */
  private openError: Error | undefined
  /** settles with the first attempt to open the database */
  private readonly firstAttempt: Promise<Db>
  private settleFirst: ((db: Db | Error) => void) | undefined
  private stopped = false
  private readonly opts: StorageOptions

  constructor(opts: StorageOptions) {
    this.opts = opts
    this.journal = new Journal<CallRecord>({ dir: join(opts.dataDir, 'journal'), maxBytes: opts.journalMaxBytes })
    this.firstAttempt = new Promise<Db>((resolve, reject) => {
      this.settleFirst = (v) => (v instanceof Error ? reject(v) : resolve(v))
    })
    this.firstAttempt.catch(() => {})
    this.ready = this.connect(opts)
    // until it opens, callers that need the database await `db()`; an unhandled rejection must not crash us
    this.ready.catch(() => {})
  }

  /** For /health/readiness: `connected` once the database was opened and migrated, `unavailable` while opening it fails, else `opening`. */
  get state(): 'connected' | 'opening' | 'unavailable' {
    return this.dbHandle ? 'connected' : this.openError ? 'unavailable' : 'opening'
  }

  get kind(): string {
    return this.dbHandle?.kind ?? 'opening'
  }

  /**
   * The database, once open and migrated. While the first attempt to open it
   * runs, callers wait for it; once an attempt failed, they get its error at
   * once until a retry succeeds. (Awaiting `ready` alone made every virtual-key
   * check and admin route hang for as long as the database stayed unreachable,
   * instead of the 503 storage_unavailable they answer with.)
   */
  db(): Promise<Db> {
    if (this.dbHandle) return Promise.resolve(this.dbHandle)
    if (this.openError) return Promise.reject(this.openError)
    return this.firstAttempt
  }

  /** Appends a call record (synchronously, before its answer completes). */
  record(rec: CallRecord): void {
    this.journal.append(rec)
  }

  async close(deadlineMs: number): Promise<void> {
    this.stopped = true
    if (this.dbHandle) {
      const drained = await this.journal.drain(deadlineMs)
      if (!drained) this.opts.logger.warn({ pending: this.journal.size.records }, 'journal not fully flushed at shutdown; it is replayed at the next start')
    }
    this.journal.close()
    await this.dbHandle?.close().catch(() => {})
  }

  /** Where refused records are kept, one JSON line each with the database's reason. */
  get deadLetterFile(): string {
    return join(this.opts.dataDir, 'dead-letter', 'records.jsonl')
  }

  /**
   * Appends refused records to the dead-letter file (synchronously: once the
   * journal drops them, this is their only copy). A failed write throws, and
   * the journal keeps the batch and retries it.
   */
  private deadLetter(refused: readonly RefusedRecord[]): void {
    mkdirSync(join(this.opts.dataDir, 'dead-letter'), { recursive: true })
    const at = new Date().toISOString()
    appendFileSync(this.deadLetterFile, refused.map((r) => JSON.stringify({ at, error: r.error, record: r.record }) + '\n').join(''))
    this.opts.onDeadLetter?.(refused.length)
    for (const r of refused) {
      this.opts.logger.error({ reqId: r.record.request_id, err: r.error, file: this.deadLetterFile }, 'the database refused a call record; it is kept in the dead-letter file')
    }
  }

  private async connect(opts: StorageOptions): Promise<Db> {
    for (let attempt = 0; ; attempt++) {
      try {
        const db = await openDb({ databaseUrl: opts.databaseUrl, dataDir: opts.dataDir })
        // stopped while it opened: nobody will close it later (and a pg pool would hold the process)
        if (this.stopped) {
          await db.close().catch(() => {})
          throw new Error('storage closed')
        }
        let applied: number
        try {
          applied = await migrate(db)
        } catch (err) {
          // a failed attempt must not leave its pool (or PGlite instance) behind before the retry opens another
          await db.close().catch(() => {})
          throw err
        }
        if (applied > 0) opts.logger.info({ applied, db: db.kind }, 'database migrated')
        this.dbHandle = db
        this.openError = undefined
        this.settleFirst?.(db)
        this.journal.start(
          async (batch) => {
            const refused = await insertIsolating(db, batch)
            if (refused.length > 0) this.deadLetter(refused)
            // set-aside records leave the bookkeeping too: their spend stays counted in this process
            opts.onCommitted(batch)
          },
          (err) => {
            opts.onFlushError()
            opts.logger.warn({ err: (err as Error).message, pending: this.journal.size.records }, 'journal flush failed; retrying')
          },
        )
        return db
      } catch (err) {
        this.openError = err instanceof Error ? err : new Error(String(err))
        this.settleFirst?.(this.openError)
        if (this.stopped) throw err
        const wait = Math.min(10_000, 500 * 2 ** attempt)
        opts.logger.warn({ err: (err as Error).message, retryInMs: wait }, 'database unavailable; records wait in the journal')
        // unref'd and re-checked: a stopped gateway neither waits for nor makes another attempt
        await new Promise((r) => setTimeout(r, wait).unref())
        if (this.stopped) throw this.openError
      }
    }
  }
}
