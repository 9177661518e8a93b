// How much CPU the rest of the machine took while the benchmark ran: machine
// busy time (/proc/stat) minus the time of the bench process, its reaped
// children (wrk) and its live servers (/proc/PID/stat). A test suite running
// beside the bench on a two-core machine shows up here, and the figures of
// that cell are not to be trusted. Linux only; elsewhere it reports nothing.
import { readFileSync } from 'node:fs'

const TICKS_PER_SECOND = 100 // USER_HZ on every Linux architecture Node runs on

export interface CpuSnapshot {
  at: number
  machine: number
  ours: number
}

function machineBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? ''
  const [, user = 0, nice = 0, system = 0] = line.trim().split(/\s+/).map(Number)
  // irq and softirq are left out: loopback traffic is mostly the benchmark's own
  return user + nice + system
}

function processTicks(pid: number | 'self', withReapedChildren: boolean): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number)
    // fields 14-17 of stat (utime, stime, cutime, cstime) are 11-14 after the command name
    return (f[11] ?? 0) + (f[12] ?? 0) + (withReapedChildren ? (f[13] ?? 0) + (f[14] ?? 0) : 0)
  } catch {
    return 0
  }
}

export function cpuSnapshot(livePids: readonly number[]): CpuSnapshot | undefined {
  try {
    const ours = processTicks('self', true) + livePids.reduce((a, pid) => a + processTicks(pid, false), 0)
    return { at: performance.now(), machine: machineBusyTicks(), ours }
  } catch {
    return undefined
  }
}

export interface ForeignCpu {
  /** CPU-seconds used by other processes */
  seconds: number
  /** share of the machine's capacity over the interval */
  share: number
}

export function foreignCpu(a: CpuSnapshot | undefined, b: CpuSnapshot | undefined, cpus: number): ForeignCpu | undefined {
  if (!a || !b) return undefined
  const seconds = Math.max(0, (b.machine - a.machine - (b.ours - a.ours)) / TICKS_PER_SECOND)
  const wall = (b.at - a.at) / 1000
  return { seconds, share: wall > 0 ? seconds / (wall * cpus) : 0 }
}
