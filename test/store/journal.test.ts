// The durable journal on its own (a temp dir, a fake sink): records survive a
// new Journal on the same dir, a failing sink keeps them and is retried, a
// recovered sink drains them and segment files go only after their records
// were committed, `full` follows the bound both ways, a torn last line is skipped.
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Journal } from '../../src/store/journal.ts'

interface Rec {
  request_id: string
  n: number
}

const rec = (n: number): Rec => ({ request_id: `req-${n}`, n })

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-journal-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** The segment files in `dir` and the records (lines) each holds. */
function segments(dir: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()) {
    out.set(f, readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length)
  }
  return out
}
const linesIn = (dir: string): number => [...segments(dir).values()].reduce((a, b) => a + b, 0)

/** A sink that records every batch it was given and commits it unless told to fail. */
function fakeSink() {
  const committed: Rec[] = []
  const sink = {
    committed,
    calls: 0,
    failing: false,
    /** when set, a flush waits for it before committing */
    gate: undefined as Promise<void> | undefined,
    async write(batch: readonly Rec[]): Promise<void> {
      sink.calls++
      if (sink.gate) await sink.gate
      if (sink.failing) throw new Error('database down')
      committed.push(...batch)
    },
  }
  return sink
}

async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (ok()) return
    await sleep(10)
  }
  assert.fail(`timed out waiting for ${what}`)
}

test('appended records survive: a new Journal on the same dir (after a crash, no close) replays them', async (t) => {
  const dir = tempDir(t)
  const first = new Journal<Rec>({ dir, maxBytes: 1 << 20 })
  for (let n = 1; n <= 5; n++) first.append(rec(n))
  assert.equal(linesIn(dir), 5, 'every append is in a segment file when append returns')
  // no close(), no flush: the process "died"
  const second = new Journal<Rec>({ dir, maxBytes: 1 << 20 })
  assert.equal(second.size.records, 5)
  second.append(rec(6))
  const sink = fakeSink()
  second.start((b) => sink.write(b), () => {})
  assert.equal(await second.drain(5000), true)
  assert.deepEqual(sink.committed.map((r) => r.n), [1, 2, 3, 4, 5, 6], 'replayed records first, in order, then the new one')
  assert.equal(linesIn(dir), 0, 'nothing committed is left on disk')
  second.close()
  first.close()
  const third = new Journal<Rec>({ dir, maxBytes: 1 << 20 })
  assert.equal(third.size.records, 0, 'committed records are not replayed again')
  third.close()
})

test('a failing sink keeps the records and is retried; once it recovers they are drained', async (t) => {
  const dir = tempDir(t)
  const j = new Journal<Rec>({ dir, maxBytes: 1 << 20 })
  t.after(() => j.close())
  const sink = fakeSink()
  sink.failing = true
  const errors: unknown[] = []
  j.start((b) => sink.write(b), (err) => errors.push(err))
  for (let n = 1; n <= 3; n++) j.append(rec(n))
  await until(() => sink.calls >= 2, 'a retry after the first failure')
  assert.ok(errors.length >= 2, 'every failure is reported')
  assert.equal(j.size.records, 3, 'nothing is dropped while the sink fails')
  assert.equal(linesIn(dir), 3, 'and it stays on disk')
  assert.equal(sink.committed.length, 0)
  sink.failing = false
  await until(() => j.size.records === 0, 'the journal to drain once the sink recovered')
  assert.deepEqual(sink.committed.map((r) => r.n), [1, 2, 3])
  assert.equal(linesIn(dir), 0)
})

test('segment files are deleted only after all their records were committed', async (t) => {
  const dir = tempDir(t)
  // tiny segments: a few records each; batches of 4
  const j = new Journal<Rec>({ dir, maxBytes: 1 << 20, segmentBytes: 64, batchSize: 4 })
  t.after(() => j.close())
  for (let n = 1; n <= 10; n++) j.append(rec(n))
  const before = segments(dir)
  assert.ok(before.size >= 4, `records are spread over several segments: ${[...before.entries()]}`)
  assert.equal(linesIn(dir), 10)

  let open!: () => void
  const sink = fakeSink()
  sink.gate = new Promise<void>((r) => (open = r))
  j.start((b) => sink.write(b), () => {})
  await until(() => sink.calls === 1, 'the first batch to reach the sink')
  // the sink has the batch but has not committed it: every file is still there
  assert.deepEqual(segments(dir), before, 'no segment is touched while its batch is in flight')
  sink.failing = true
  sink.gate = undefined
  open()
  await until(() => sink.calls >= 2, 'a retry')
  assert.deepEqual(segments(dir), before, 'a failed batch deletes nothing')
  sink.failing = false
  await until(() => j.size.records === 0, 'the journal to drain')
  assert.deepEqual(sink.committed.map((r) => r.n), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  assert.equal(linesIn(dir), 0, 'all segments are gone once committed')
})

test('segments are deleted batch by batch, each only once all its records are committed', async (t) => {
  const dir = tempDir(t)
  const j = new Journal<Rec>({ dir, maxBytes: 1 << 20, segmentBytes: 64, batchSize: 2 })
  t.after(() => j.close())
  for (let n = 1; n <= 9; n++) j.append(rec(n))
  const byRecord = new Map<number, string>()
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean)) byRecord.set((JSON.parse(line) as Rec).n, f)
  }
  const seen: Array<{ committedUpTo: number; files: string[] }> = []
  const committed: Rec[] = []
  j.start(async (batch) => {
    // what is on disk while this batch is being committed
    seen.push({ committedUpTo: committed.length, files: readdirSync(dir).filter((f) => f.endsWith('.jsonl')) })
    committed.push(...batch)
  }, () => {})
  assert.equal(await j.drain(5000), true)
  for (const s of seen) {
    // every record not committed yet still has its segment file on disk
    for (let n = s.committedUpTo + 1; n <= 9; n++) assert.ok(s.files.includes(byRecord.get(n) as string), `record ${n}'s segment is on disk before its commit`)
  }
  assert.ok(seen.length >= 5, 'several batches')
  const initial = new Set(byRecord.values()).size
  assert.ok(seen.some((s) => s.files.length < initial), 'fully committed segments are deleted as the flush goes, not only at the end')
  assert.equal(linesIn(dir), 0)
})

test('`full` turns true past maxBytes and back to false when drained', async (t) => {
  const dir = tempDir(t)
  const j = new Journal<Rec>({ dir, maxBytes: 200 })
  t.after(() => j.close())
  let n = 0
  while (!j.full) {
    j.append(rec(++n))
    assert.ok(n < 100, 'the bound is reached')
  }
  assert.ok(j.size.bytes >= 200, `${j.size.bytes} bytes pending`)
  assert.ok(n > 1, 'under the bound, appends do not make it full')
  const sink = fakeSink()
  sink.failing = true
  j.start((b) => sink.write(b), () => {})
  await until(() => sink.calls >= 1, 'a failed flush')
  assert.equal(j.full, true, 'still full while the sink fails')
  sink.failing = false
  await until(() => !j.full, 'the journal to drain')
  assert.equal(j.size.records, 0)
  assert.equal(sink.committed.length, n)
})

test('a torn last line (a crash mid-write) is skipped on replay; the rest is replayed', async (t) => {
  const dir = tempDir(t)
  const lines = [JSON.stringify(rec(1)), JSON.stringify(rec(2))]
  writeFileSync(join(dir, 'seg-000000000001.jsonl'), lines.join('\n') + '\n' + '{"request_id":"req-3","n')
  const j = new Journal<Rec>({ dir, maxBytes: 1 << 20 })
  t.after(() => j.close())
  assert.equal(j.size.records, 2)
  j.append(rec(4))
  // the new record is not glued to the torn line: it went to a new segment
  for (const f of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (line.includes('req-4')) assert.equal(line, JSON.stringify(rec(4)))
    }
  }
  const sink = fakeSink()
  j.start((b) => sink.write(b), () => {})
  assert.equal(await j.drain(5000), true)
  assert.deepEqual(sink.committed.map((r) => r.n), [1, 2, 4])
  assert.equal(linesIn(dir), 0, 'the torn segment is removed once its good records are committed')
})
