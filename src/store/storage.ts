// Storage as the gateway runs it: the journal opens at once (records can be
// appended from the first request), the database opens and migrates in the
// background — retried while it is unreachable — and the journal starts
// flushing to it once it is ready. Nothing on the hot path waits for it.
import { join } from 'node:path'
import type { Logger } from '../telemetry/logger.ts'
import { openDb, type Db } from './db.ts'
import { Journal } from './journal.ts'
import { migrate } from './migrations.ts'
import { insertRecords, type CallRecord } from './records.ts'

export interface StorageOptions {
  databaseUrl: string | undefined
  dataDir: string
  journalMaxBytes: number
  logger: Logger
  /** after a batch is committed (budgets drop their uncommitted spend, key caches reload) */
  onCommitted: (batch: readonly CallRecord[]) => void
  onFlushError: () => void
}

export class Storage {
  readonly journal: Journal<CallRecord>
  private readonly ready: Promise<Db>
  private dbHandle: Db | undefined
  private stopped = false
  private readonly opts: StorageOptions

  constructor(opts: StorageOptions) {
    this.opts = opts
    this.journal = new Journal<CallRecord>({ dir: join(opts.dataDir, 'journal'), maxBytes: opts.journalMaxBytes })
    this.ready = this.connect(opts)
    // until it opens, callers that need the database await `db()`; an unhandled rejection must not crash us
    this.ready.catch(() => {})
  }

  get kind(): string {
    return this.dbHandle?.kind ?? 'opening'
  }

  /** The database, once open and migrated. */
  db(): Promise<Db> {
    return this.ready
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

  private async connect(opts: StorageOptions): Promise<Db> {
    for (let attempt = 0; ; attempt++) {
      try {
        const db = await openDb({ databaseUrl: opts.databaseUrl, dataDir: opts.dataDir })
        const applied = await migrate(db)
        if (applied > 0) opts.logger.info({ applied, db: db.kind }, 'database migrated')
        this.dbHandle = db
        this.journal.start(
          async (batch) => {
            await insertRecords(db, batch)
            opts.onCommitted(batch)
          },
          (err) => {
            opts.onFlushError()
            opts.logger.warn({ err: (err as Error).message, pending: this.journal.size.records }, 'journal flush failed; retrying')
          },
        )
        return db
      } catch (err) {
        if (this.stopped) throw err
        const wait = Math.min(10_000, 500 * 2 ** attempt)
        opts.logger.warn({ err: (err as Error).message, retryInMs: wait }, 'database unavailable; records wait in the journal')
        await new Promise((r) => setTimeout(r, wait))
      }
    }
  }
}
