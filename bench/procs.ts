// Child processes of the benchmark: each server runs in its own Node process
// (as it would in production), with stdout and stderr going to files so that
// neither a pipe nor the bench process's CPU sits in the way of its logs. The
// address comes from the "listening on http://H:P" line it prints.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export interface Child {
  name: string
  proc: ChildProcess
  pid: number
  url: string
  stdoutFile: string
  stderrFile: string
}

const live = new Set<ChildProcess>()

export class StartError extends Error {
  readonly output: string
  constructor(message: string, output: string) {
    super(message)
    this.output = output
  }
}

const LISTENING = /listening on (http:\/\/\S+)/

/** Spawns `node ...args` and resolves once it printed its address. */
export async function startNode(
  name: string,
  args: string[],
  opts: { dir: string; env?: Record<string, string>; timeoutMs?: number; cwd?: string },
): Promise<Child> {
  const stdoutFile = join(opts.dir, `${name}.stdout.log`)
  const stderrFile = join(opts.dir, `${name}.stderr.log`)
  const out = openSync(stdoutFile, 'w')
  const err = openSync(stderrFile, 'w')
  const proc = spawn(process.execPath, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', out, err],
  })
  closeSync(out)
  closeSync(err)
  live.add(proc)
  let exited: string | undefined
  proc.on('exit', (code, signal) => {
    live.delete(proc)
    exited = signal ? `signal ${signal}` : `exit code ${code}`
  })
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000)
  for (;;) {
    const text = readFileSync(stdoutFile, 'utf8')
    const m = LISTENING.exec(text)
    if (m?.[1]) return { name, proc, pid: proc.pid ?? 0, url: m[1].replace(/\/+$/, ''), stdoutFile, stderrFile }
    if (exited !== undefined || Date.now() > deadline) {
      const stderr = readFileSync(stderrFile, 'utf8')
      if (exited === undefined) kill(proc, 'SIGKILL')
      throw new StartError(`${name} did not start (${exited ?? 'no "listening on" line in time'})`, stderr || text)
    }
    await sleep(20)
  }
}

function kill(proc: ChildProcess, signal: NodeJS.Signals): void {
  if (proc.exitCode === null && proc.signalCode === null) {
    try {
      proc.kill(signal)
    } catch {
      // already gone
    }
  }
}

/** SIGTERM (a gateway then drains and exits, writing a CPU profile if asked), SIGKILL after graceMs. */
export async function stopChild(child: Child, graceMs = 5000): Promise<void> {
  const proc = child.proc
  if (proc.exitCode !== null || proc.signalCode !== null) return
  const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  kill(proc, 'SIGTERM')
  const timer = setTimeout(() => kill(proc, 'SIGKILL'), graceMs)
  await gone
  clearTimeout(timer)
}

/** Last resort, synchronous: for process exit and fatal errors. */
export function killAllNow(): void {
  for (const proc of live) kill(proc, 'SIGKILL')
}

export async function stopAll(children: Iterable<Child>, graceMs = 5000): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c, graceMs)))
  killAllNow()
}

export interface Memory {
  rssMB: number
  peakMB: number
}

/** VmRSS and VmHWM of a process, from /proc (Linux). */
export function memoryOf(pid: number): Memory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
    return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 }
  } catch {
    return undefined
  }
}
