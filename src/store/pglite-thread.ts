// The PGlite worker thread as db.ts uses it: statements in, rows out, in order.
// A worker that dies (a WASM abort ends the thread, not the gateway) fails the
// statements it held; the next statement starts a new worker on the same data
// directory, so records keep flowing from the journal once it is back. A
// transaction never spans two workers: its statements name the worker it
// began on and fail if that one is gone.
import { Worker } from 'node:worker_threads'
import { PGLITE_CONF } from './pglite-conf.ts'
import type { WorkerCall, WorkerReply } from './pglite-protocol.ts'

const WORKER = new URL('./pglite-worker.ts', import.meta.url)

interface Waiting {
  resolve: (rows: unknown[]) => void
  reject: (err: Error) => void
}

export class PgliteThread {
  private readonly dir: string
  private worker: Worker | undefined
  /** which worker this is: 1 for the first, +1 for each restart */
  private generation = 0
  private readonly waiting = new Map<number, Waiting>()
  private nextId = 1
  private closed = false

  constructor(dir: string) {
    this.dir = dir
  }

  /** The generation a statement will run on (starts a worker if none is running). */
  current(): number {
    this.ensure()
    return this.generation
  }

  /** Runs one call; with `generation`, only on that worker (a transaction's). */
  send(call: WorkerCall, generation?: number): Promise<unknown[]> {
    if (this.closed) return Promise.reject(new Error('embedded database closed'))
    const w = this.ensure()
    if (generation !== undefined && generation !== this.generation) {
      return Promise.reject(new Error('embedded database restarted during a transaction'))
    }
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject })
      w.ref()
      w.postMessage({ ...call, id })
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    const w = this.worker
    if (w) await this.send({ op: 'close' }).catch(() => {})
    this.closed = true
    await w?.terminate()
  }

  private ensure(): Worker {
    if (this.worker) return this.worker
    const w = new Worker(WORKER, { workerData: { dir: this.dir, conf: PGLITE_CONF } })
    this.generation++
    // it keeps the process alive only while it has work: a gateway that was not closed still exits
    w.unref()
    w.on('message', (m: WorkerReply) => {
      const waiting = this.waiting.get(m.id)
      if (!waiting) return
      this.waiting.delete(m.id)
      if (this.waiting.size === 0) w.unref()
      if ('error' in m) waiting.reject(Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code } : {}))
      else waiting.resolve(m.rows)
    })
    const gone = (err: Error): void => {
      if (this.worker !== w) return
      this.worker = undefined
      for (const waiting of this.waiting.values()) waiting.reject(err)
      this.waiting.clear()
    }
    w.on('error', (err) => gone(new Error(`embedded database failed: ${err.message}`)))
    w.on('exit', () => gone(new Error('embedded database stopped')))
    this.worker = w
    return w
  }
}
