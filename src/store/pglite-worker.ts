// The embedded PGlite database, in a worker thread of its own (db.ts opens it).
// PostgreSQL compiled to WASM costs tens of microseconds of CPU per inserted
// record; on the main thread that was a quarter of the gateway's busy time and
// delayed the answers queued behind every flush. Here it runs beside the event
// loop. Messages are answered in the order they arrive, one at a time (PGlite
// has one connection), which is what lets db.ts run a transaction as plain
// BEGIN … COMMIT statements.
import { parentPort, workerData } from 'node:worker_threads'
import type { WorkerReply, WorkerRequest } from './pglite-protocol.ts'

const { dir, conf } = workerData as { dir: string; conf: string[] }
const port = parentPort
if (!port) throw new Error('pglite-worker.ts runs as a worker thread')

const ready = (async () => {
  const { PGlite } = await import('@electric-sql/pglite')
  return PGlite.create(dir, { postgresqlconf: conf })
})()
// a database that cannot open is reported to each statement (handle()), not as an unhandled rejection
ready.catch(() => {})

let queue: Promise<void> = Promise.resolve()

port.on('message', (m: WorkerRequest) => {
  queue = queue.then(() => handle(m))
})

async function handle(m: WorkerRequest): Promise<void> {
  let reply: WorkerReply
  try {
    const pg = await ready
    switch (m.op) {
      case 'open':
        reply = { id: m.id, rows: [] }
        break
      case 'query':
        reply = { id: m.id, rows: (await pg.query(m.sql, m.params)).rows }
        break
      case 'exec':
        await pg.exec(m.sql)
        reply = { id: m.id, rows: [] }
        break
      case 'close':
        await pg.close()
        port?.postMessage({ id: m.id, rows: [] } satisfies WorkerReply)
        port?.close()
        return
    }
  } catch (err) {
    const e = err as { message?: unknown; code?: unknown }
    reply = { id: m.id, error: { message: String(e?.message ?? err), ...(typeof e?.code === 'string' ? { code: e.code } : {}) } }
  }
  port?.postMessage(reply)
}
