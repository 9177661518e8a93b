// Self time per function in a V8 .cpuprofile (what `node --cpu-prof` writes).
//   node bench/profile.ts FILE.cpuprofile [--top N]
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { parseArgs } from 'node:util'

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[]
  samples: number[]
  timeDeltas: number[]
}

export interface SelfTime {
  fn: string
  where: string
  ms: number
  /** share of the busy (non-idle) time */
  percent: number
}

/** Where a frame's code lives: a file of ours, an npm package, Node's own JS, or V8/native. */
function groupOf(url: string, fn: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return `npm:${pkg[1]}`
  if (url.startsWith('node:')) return 'node (JS core)'
  if (url.startsWith('wasm://')) return 'wasm'
  if (url) return url
  return fn.startsWith('(') ? fn : 'native (syscalls, builtins)'
}

export function topSelfTime(file: string, top = 10): { busyMs: number; idleMs: number; functions: SelfTime[]; groups: { group: string; ms: number; percent: number }[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const frameOf = new Map(profile.nodes.map((n) => [n.id, n.callFrame]))
  const byKey = new Map<string, { fn: string; where: string; us: number }>()
  const byGroup = new Map<string, number>()
  let idleUs = 0
  let busyUs = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = frameOf.get(profile.samples[i] ?? -1)
    // a sample's time is the delta to the next one
    const us = profile.timeDeltas[i + 1] ?? 0
    if (!frame) continue
    if (frame.functionName === '(idle)') {
      idleUs += us
      continue
    }
    busyUs += us
    const url = frame.url.startsWith('file://') ? relative(process.cwd(), new URL(frame.url).pathname) : frame.url
    const where = url ? `${url}:${frame.lineNumber + 1}` : ''
    const fn = frame.functionName || '(anonymous)'
    const group = groupOf(url, frame.functionName)
    byGroup.set(group, (byGroup.get(group) ?? 0) + us)
    const key = `${fn}@${where}`
    const entry = byKey.get(key) ?? { fn, where, us: 0 }
    entry.us += us
    byKey.set(key, entry)
  }
  const functions = [...byKey.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ fn: e.fn, where: e.where, ms: e.us / 1000, percent: busyUs > 0 ? (100 * e.us) / busyUs : 0 }))
  const groups = [...byGroup]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([group, g]) => ({ group, ms: g / 1000, percent: busyUs > 0 ? (100 * g) / busyUs : 0 }))
  return { busyMs: busyUs / 1000, idleMs: idleUs / 1000, functions, groups }
}

export function formatTop(name: string, t: ReturnType<typeof topSelfTime>): string {
  const lines = [`top self time, ${name} (busy ${(t.busyMs / 1000).toFixed(1)} s, idle ${(t.idleMs / 1000).toFixed(1)} s):`]
  for (const f of t.functions) lines.push(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.ms.toFixed(0).padStart(7)} ms  ${f.fn}  ${f.where}`)
  lines.push(`self time by file / package, ${name}:`)
  for (const g of t.groups) lines.push(`  ${g.percent.toFixed(1).padStart(5)}%  ${g.ms.toFixed(0).padStart(7)} ms  ${g.group}`)
  return lines.join('\n')
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '10' } } })
  for (const file of positionals) process.stdout.write(formatTop(file, topSelfTime(file, Number(values.top))) + '\n')
}
