// Shared scaffolding of the storage tests: a data dir per gateway (with an
// initialised PGlite cluster copied from a template: helpers/data-dir.ts), gateways
// with storage, the admin routes under the master key, /spend/logs, waiting
// for the journal to flush, and a walk of every file under a data dir.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Db } from '../../src/store/db.ts'
import { freshDataDir, removeDir } from '../helpers/data-dir.ts'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import type { CallRecord } from '../../src/store/records.ts'

export const MASTER = 'sk-master-key-for-store-tests'

// These tests are about the embedded PGlite path: a DATABASE_URL in the
// environment (set for the PostgreSQL tests) must not send them elsewhere.
// Each test file runs in its own process, so this touches no other tests.
delete process.env.DATABASE_URL

/** A new data dir (remove it with `removeDir`); `initialised` puts a freshly initdb'd PGlite cluster in it (else PGlite makes one at the first start). */
export async function dataDir(initialised = true): Promise<string> {
  return freshDataDir(initialised, 'portcullis-store-')
}

export { removeDir }

/** A gateway with storage in `dir`, returned once its database is open and migrated. */
export async function storeGateway(yaml: string, dir: string): Promise<TestGateway> {
  const gw = await startGateway(yaml, { storage: { dataDir: dir } })
  await storageOf(gw).db()
  return gw
}

export function storageOf(gw: TestGateway): NonNullable<TestGateway['server']['storage']> {
  const s = gw.server.storage
  assert.ok(s, 'the gateway runs with storage')
  return s
}

export const dbOf = (gw: TestGateway): Promise<Db> => storageOf(gw).db()

export interface Answer {
  status: number
  headers: Headers
  text: string
  json: any
}

/** A raw call to `url + path` (JSON in and out), with `key` as the bearer (the master key unless given; null for none). */
export async function call(url: string, method: 'GET' | 'POST', path: string, body?: unknown, key: string | null = MASTER): Promise<Answer> {
  const res = await fetch(url + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(key !== null ? { authorization: `Bearer ${key}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json }
}

export interface GeneratedKey {
  key: string
  token: string
  [field: string]: unknown
}

/** POST /key/generate under the master key; asserts a 200. */
export async function generateKey(url: string, fields: Record<string, unknown> = {}): Promise<GeneratedKey> {
  const r = await call(url, 'POST', '/key/generate', fields)
  assert.equal(r.status, 200, r.text)
  return r.json as GeneratedKey
}

/** A record as /spend/logs answers it: the call record itself, in JSON. */
export type SpendLog = CallRecord

/** GET /spend/logs?… under the master key. */
export async function spendLogs(url: string, query: Record<string, string | number>): Promise<SpendLog[]> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString()
  const r = await call(url, 'GET', `/spend/logs?${qs}`)
  assert.equal(r.status, 200, r.text)
  return r.json as SpendLog[]
}

/** Waits (up to ~15 s) until every record appended so far is committed to the database. */
export async function flushed(gw: TestGateway): Promise<void> {
  const journal = storageOf(gw).journal
  for (let i = 0; i < 1500; i++) {
    if (journal.size.records === 0) return
    await sleep(10)
  }
  assert.fail(`the journal still holds ${journal.size.records} record(s)`)
}

/** Every file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...filesUnder(p))
    else out.push(p)
  }
  return out
}

/** The files under `dir` whose bytes contain `needle`. */
export function filesContaining(dir: string, needle: string): string[] {
  const bytes = Buffer.from(needle, 'utf8')
  return filesUnder(dir).filter((f) => readFileSync(f).includes(bytes))
}

/** Waits until the current minute has at least `ms` left, so a test's calls fall in one rate-limit window. */
export async function roomInMinute(ms: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000)
  if (left < ms) await sleep(left + 50)
}
