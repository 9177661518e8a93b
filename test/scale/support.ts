// Helpers of the several-instances tests: the services CI starts (.ci/run
// exports their URLs under PORTCULLIS_TEST_* names; without them the tests
// skip), a fresh database per test file, gateway instances as real processes
// (the CLI through serveCli), and small HTTP helpers.
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { serveCli, type Served } from '../helpers/spawn.ts'

export const TEST_DATABASE_URL = process.env.PORTCULLIS_TEST_DATABASE_URL
export const TEST_REDIS_URL = process.env.PORTCULLIS_TEST_REDIS_URL
/** the folder of initdb and pg_ctl, for tests that stop a PostgreSQL of their own */
export const TEST_PG_BIN = process.env.PORTCULLIS_TEST_PG_BIN
/** redis-server, for tests that stop a Redis of their own */
export const TEST_REDIS_SERVER = process.env.PORTCULLIS_TEST_REDIS_SERVER

export const MASTER_KEY = 'sk-master-scale-test'

/** Why a test must skip, or undefined when every variable it needs is set. */
export function missing(...names: string[]): string | undefined {
  const unset = names.filter((n) => !process.env[n])
  return unset.length ? `needs ${unset.join(', ')} (set by .ci/run; eval "$(.ci/run services)" to run these locally)` : undefined
}

/** A fresh, empty database on the test PostgreSQL; dropped by `drop()`. */
export async function freshDatabase(serverUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl })
      await c.connect()
      await c.query(`drop database if exists ${name} with (force)`)
      await c.end()
    },
  }
}

const made: string[] = []
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true })
})

/** A temp dir, removed when the test process exits. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  made.push(d)
  return d
}

export function configFile(yaml: string): string {
  const file = join(tempDir('portcullis-scale-'), 'config.yaml')
  writeFileSync(file, yaml)
  return file
}

export interface Instance extends Served {
  name: string
  call(token: string, body?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>
  admin(path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>
  metrics(): Promise<string>
  stop(): Promise<void>
}

/** One gateway instance: the real CLI in a child process, with its own data dir (journal). */
export async function startInstance(name: string, config: string, env: Record<string, string | undefined>): Promise<Instance> {
  const dataDir = tempDir(`portcullis-${name}-`)
  const served = await serveCli(['--config', config, '--port', '0'], { LOG_LEVEL: 'warn', PORTCULLIS_DATA_DIR: dataDir, ...env })
  const call: Instance['call'] = async (token, body = {}, headers = {}) => {
    const res = await fetch(`${served.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hello there' }], ...body }),
      signal: AbortSignal.timeout(15_000),
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers }
  }
  return {
    ...served,
    name,
    call,
    async admin(path, body) {
      const res = await fetch(`${served.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      })
      return { status: res.status, body: (await res.json()) as Record<string, unknown> }
    },
    async metrics() {
      return (await fetch(`${served.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text()
    },
    async stop() {
      if (served.child.exitCode === null && served.child.signalCode === null) {
        served.child.kill('SIGTERM')
        const timer = setTimeout(() => served.child.kill('SIGKILL'), 10_000)
        await served.exited
        clearTimeout(timer)
      }
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** The value of a Prometheus counter/gauge line (summed over matching label sets), 0 when absent. */
export async function freePort(): Promise<number> {
  const s = createServer()
  s.listen(0, '127.0.0.1')
  await once(s, 'listening')
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/**
 * Waits out the end of the current minute when fewer than `ms` are left: rate
 * windows are per minute, and a sequence of calls that straddled two windows
 * would be counted in both.
 */
export async function clearOfMinuteEdge(ms = 3000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000)
  if (left < ms) await new Promise((r) => setTimeout(r, left + 50))
}

/** Polls `check` until it is true or `ms` passed. */
export async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  for (;;) {
    if (await check()) return
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** A redis-server of the test's own (it may stop it), on a free loopback port. */
export async function startOwnRedis(binary: string): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const port = await freePort()
  const dir = tempDir('portcullis-redis-')
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' })
  const exited = once(child, 'exit')
  await until(() => canConnect(port), 5000, 'redis-server to listen')
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid as number,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT')
        child.kill('SIGKILL')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A PostgreSQL cluster of the test's own (it may stop it): initdb into a temp dir, loopback only. */
export async function startOwnPostgres(bin: string): Promise<{ url: string; stop: () => Promise<void>; start: () => Promise<void>; destroy: () => Promise<void> }> {
  const port = await freePort()
  const dir = tempDir('portcullis-pg-')
  const data = join(dir, 'data')
  // PostgreSQL refuses to run as root: as root, the cluster belongs to `postgres`
  let runAs: string[] = []
  if (process.getuid?.() === 0) {
    const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim())
    chmodSync(dir, 0o755)
    chownSync(dir, id('-u'), id('-g'))
    runAs = ['runuser', '-u', 'postgres', '--']
  }
  // asynchronous: the test's own client loop keeps running while PostgreSQL stops and starts
  const run = async (args: string[]): Promise<void> => {
    const cmd = [...runAs, ...args]
    const child = spawn(cmd[0] as string, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c))
    child.stderr.on('data', (c: Buffer) => (out += c))
    const [code] = (await once(child, 'exit')) as [number | null]
    if (code !== 0) throw new Error(`${args.join(' ')} failed (${code}): ${out}`)
  }
  await run([join(bin, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'])
  const opts = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off -c synchronous_commit=off -c full_page_writes=off`
  const start = (): Promise<void> => run([join(bin, 'pg_ctl'), '-D', data, '-l', join(data, 'server.log'), '-o', opts, '-w', '-t', '30', 'start'])
  const stop = (): Promise<void> => run([join(bin, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop'])
  await start()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    destroy: async () => {
      await stop().catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
