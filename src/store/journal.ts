// The durable journal of call records. A record is appended to a local segment
// file with a synchronous write before its answer completes — once write(2)
// returned, a kill -9 of the gateway cannot lose it — then flushed to the
// database in batches. A segment file is deleted only after every record in
// it was committed; on start, leftover segments are replayed (inserts are
// idempotent on request_id). If the database is down the journal grows up to
// its bound; past it, `full` is true and the gateway refuses new calls rather
// than answer calls it could not record.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export interface JournalOptions {
  dir: string
  /** pending bytes past which `full` turns true */
  maxBytes: number
  /** a segment file is rotated past this size */
  segmentBytes?: number
  /** records per database batch */
  batchSize?: number
}

interface Pending<T> {
  record: T
  segment: number
  bytes: number
}

export type JournalSink<T> = (batch: readonly T[]) => Promise<void>

const SEGMENT = /^seg-(\d{12})\.jsonl$/

export class Journal<T> {
  private readonly opts: Required<JournalOptions>
  private pending: Pending<T>[] = []
  private pendingBytes = 0
  /** records not yet committed, per segment */
  private readonly open = new Map<number, number>()
  private segment = 0
  private segmentBytes = 0
  private fd: number
  private flushing: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  private backoffMs = 0
  private sink: JournalSink<T> | undefined
  private onError: ((err: unknown) => void) | undefined
  private closed = false

  constructor(opts: JournalOptions) {
    this.opts = { segmentBytes: 4 * 1024 * 1024, batchSize: 500, ...opts }
    mkdirSync(opts.dir, { recursive: true })
    this.replay()
    this.fd = this.openSegment(this.segment + 1)
  }

  get full(): boolean {
    return this.pendingBytes >= this.opts.maxBytes
  }

  get size(): { records: number; bytes: number } {
    return { records: this.pending.length, bytes: this.pendingBytes }
  }

  /** Synchronously appends a record; it is on disk (page cache) when this returns. */
  append(record: T): void {
    if (this.closed) throw new Error('journal closed')
    const line = JSON.stringify(record) + '\n'
    const bytes = Buffer.byteLength(line)
    if (this.segmentBytes + bytes > this.opts.segmentBytes && this.segmentBytes > 0) this.rotate()
    writeSync(this.fd, line)
    this.segmentBytes += bytes
    this.pending.push({ record, segment: this.segment, bytes })
    this.pendingBytes += bytes
    this.open.set(this.segment, (this.open.get(this.segment) ?? 0) + 1)
    if (this.sink && this.pending.length >= this.opts.batchSize) this.kick(0)
  }

  /** Starts flushing to `sink` in the background: batches, retries with backoff while it fails. */
  start(sink: JournalSink<T>, onError: (err: unknown) => void): void {
    this.sink = sink
    this.onError = onError
    this.kick(0)
  }

  /** Flushes until nothing is pending or the deadline passes; true when empty. */
  async drain(deadlineMs: number): Promise<boolean> {
    const until = Date.now() + deadlineMs
    while (this.pending.length > 0 && Date.now() < until && this.sink) {
      try {
        await this.flushOnce()
      } catch {
        await new Promise((r) => setTimeout(r, Math.min(250, Math.max(0, until - Date.now()))))
      }
    }
    return this.pending.length === 0
  }

  close(): void {
    this.closed = true
    clearTimeout(this.timer)
    closeSync(this.fd)
  }

  private kick(delayMs: number): void {
    if (this.closed || this.timer) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.loop()
    }, delayMs)
    this.timer.unref()
  }

  private async loop(): Promise<void> {
    if (this.pending.length === 0) {
      this.kick(200)
      return
    }
    try {
      await this.flushOnce()
      this.backoffMs = 0
      this.kick(this.pending.length > 0 ? 0 : 200)
    } catch (err) {
      this.onError?.(err)
      this.backoffMs = Math.min(5000, Math.max(250, this.backoffMs * 2))
      this.kick(this.backoffMs)
    }
  }

  private flushOnce(): Promise<void> {
    // one flush at a time: the background loop and drain() share it
    this.flushing ??= (async () => {
      try {
        const batch = this.pending.slice(0, this.opts.batchSize)
        if (batch.length === 0 || !this.sink) return
        await this.sink(batch.map((p) => p.record))
        this.pending = this.pending.slice(batch.length)
        for (const p of batch) {
          this.pendingBytes -= p.bytes
          const left = (this.open.get(p.segment) ?? 1) - 1
          if (left > 0) this.open.set(p.segment, left)
          else {
            this.open.delete(p.segment)
            if (p.segment !== this.segment) this.remove(p.segment)
          }
        }
        // a fully committed current segment is rotated away, so it does not grow forever
        if (!this.open.has(this.segment) && this.segmentBytes > 0) this.rotate()
      } finally {
        this.flushing = undefined
      }
    })()
    return this.flushing
  }

  private rotate(): void {
    const old = this.segment
    closeSync(this.fd)
    this.fd = this.openSegment(old + 1)
    if (!this.open.has(old)) this.remove(old)
  }

  private openSegment(n: number): number {
    this.segment = n
    this.segmentBytes = 0
    return openSync(this.path(n), 'a')
  }

  private path(n: number): string {
    return join(this.opts.dir, `seg-${String(n).padStart(12, '0')}.jsonl`)
  }

  private remove(n: number): void {
    try {
      unlinkSync(this.path(n))
    } catch {
      // already gone
    }
  }

  /** Loads segments left by an earlier run: their records are flushed again (idempotently). */
  private replay(): void {
    const segments = readdirSync(this.opts.dir)
      .map((f) => SEGMENT.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b)
    for (const n of segments) {
      const text = readFileSync(this.path(n), 'utf8')
      let count = 0
      for (const line of text.split('\n')) {
        if (!line) continue
        let record: T
        try {
          record = JSON.parse(line) as T
        } catch {
          continue // a line torn by a crash mid-write was never acknowledged to anyone
        }
        const bytes = Buffer.byteLength(line) + 1
        this.pending.push({ record, segment: n, bytes })
        this.pendingBytes += bytes
        count++
      }
      if (count > 0) this.open.set(n, count)
      else this.remove(n)
      this.segment = Math.max(this.segment, n)
    }
  }
}
