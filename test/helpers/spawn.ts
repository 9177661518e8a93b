// Runs the real CLI (`node src/cli.ts …`) with the pinned Node, for tests of
// what a user sees: exit codes, stdout/stderr, the `listening on` line, signals.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { freshDataDir } from './data-dir.ts'

export const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url))
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The child's environment: PATH, a data dir of its own with an initialised cluster (unless the test names one), and the test's variables. */
function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, PORTCULLIS_DATA_DIR: freshDataDir(), ...env }
}

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: childEnv(env) })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c))
  child.stderr.on('data', (c: Buffer) => (stderr += c))
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, stdout, stderr }
}

export interface Served {
  child: ChildProcess
  url: string
  output: () => string
  exited: Promise<number | null>
}

/** Starts `serve` and resolves with its URL once it printed `listening on …`. */
export async function serveCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { cwd: ROOT, env: childEnv(env) })
  let out = ''
  child.stderr.on('data', (c: Buffer) => (out += c))
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" line within 20 s:\n${out}`)), 20_000)
    child.stdout.on('data', (c: Buffer) => {
      out += c
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m?.[1]) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited with ${code} before listening:\n${out}`))
    })
  })
  return { child, url, output: () => out, exited }
}
