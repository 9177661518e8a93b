// The embedded database's worker thread: a worker that dies (a WASM abort ends
// the thread) fails the statements it held, and the next statement runs on a
// new worker on the same data directory, with the data committed before;
// a transaction begun on the dead worker is never continued on the new one.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Worker } from 'node:worker_threads'
import { openDb } from '../../src/store/db.ts'
import { PgliteThread } from '../../src/store/pglite-thread.ts'

test('a dead worker is replaced on the next statement; committed rows are still there', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-thread-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const db = await openDb({ databaseUrl: undefined, dataDir: dir })
  await db.exec('create table t (v text)')
  await db.query('insert into t values ($1)', ['before'])
  await db.close()

  const thread = new PgliteThread(join(dir, 'pgdata'))
  t.after(() => thread.close())
  await thread.send({ op: 'open' })
  const first = thread.current()
  const tx = thread.current()
  await thread.send({ op: 'exec', sql: 'BEGIN' }, tx)
  // the thread ends under it, as a WASM abort would end it
  const slow = thread.send({ op: 'query', sql: 'select pg_sleep(2)', params: undefined })
  await (thread as unknown as { worker: Worker }).worker.terminate()
  await assert.rejects(slow, /embedded database (stopped|failed)/)

  const rows = (await thread.send({ op: 'query', sql: 'select v from t', params: undefined })) as Array<{ v: string }>
  assert.deepEqual(rows, [{ v: 'before' }])
  assert.equal(thread.current(), first + 1, 'a new worker')
  await assert.rejects(thread.send({ op: 'exec', sql: 'COMMIT' }, tx), /restarted during a transaction/)
})
