// npm run bench [-- --quick | --json | --soak 60 | --profile | …]
//
// Measures the gateway against its yardstick, a bare Node proxy, on loopback:
// a fake upstream, the bare proxy, and the gateway with no guardrails and with
// the built-in set run as separate processes; a load generator drives each in
// turn at concurrency 64 and 1, JSON and streamed, and one table compares them.
// See bench/README.md for what each figure means and the performance budget.
import autocannon from 'autocannon'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Client, request } from 'undici'
import { autocannonRun, sequentialRun, Samples, percentile, type Mode } from './load.ts'
import { ANSWER_TEXT, MODEL, requestBody } from './payload.ts'
import { cpuSnapshot, foreignCpu, type ForeignCpu } from './cpu.ts'
import { formatTop, topSelfTime } from './profile.ts'
import { killAllNow, memoryOf, startNode, StartError, stopAll, stopChild, type Child, type Memory } from './procs.ts'
import { wrkAvailable, wrkRun, wrkScript } from './wrk.ts'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')

const USAGE = `Usage: npm run bench -- [options]
  --quick            smoke run: 1 s cells, short warm-ups (checks that the bench works)
  --json             print the results as JSON on stdout (the table goes to stderr)
  --out FILE         also write the JSON to FILE
  --soak SECONDS     instead of the table: gw-builtin at c=64 (JSON and streamed calls
                     alternating) for SECONDS, RSS sampled every second
  --duration S       measured seconds per target and cell (default 5), split over --rounds
  --warmup S         warm-up seconds per target and cell (default 1)
  --rounds N         alternate the targets N times per cell (default 5)
  --log-level LEVEL  LOG_LEVEL of the measured gateways (default warn)
  --no-info          skip the extra gateway that measures the cost of info logs
  --loadgen NAME     autocannon | wrk (default: wrk when on PATH, else autocannon)
  --nostore          also measure gw-nostore: the gateway without storage (no call journal,
                     no embedded PGlite; bench/gateway-nostore.ts), to show what recording costs
  --profile          run the gateways under --cpu-prof; print their top 10 self-time functions
  --keep             keep the temporary directory (configs, logs, profiles)`

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
    soak: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    rounds: { type: 'string' },
    'log-level': { type: 'string', default: 'warn' },
    'no-info': { type: 'boolean', default: false },
    nostore: { type: 'boolean', default: false },
    loadgen: { type: 'string' },
    profile: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (opt.help) {
  process.stdout.write(USAGE + '\n')
  process.exit(0)
}

const num = (v: string | undefined, fallback: number, name: string): number => {
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`--${name} must be a positive number\n`)
    process.exit(2)
  }
  return n
}
const DURATION = num(opt.duration, opt.quick ? 1 : 5, 'duration')
const WARMUP = num(opt.warmup, opt.quick ? 0.3 : 1, 'warmup')
const ROUNDS = Math.round(num(opt.rounds, opt.quick ? 1 : 5, 'rounds'))
const LOG_LEVEL = opt['log-level']
const LOADGEN = opt.loadgen ?? (wrkAvailable() ? 'wrk' : 'autocannon')
if (LOADGEN !== 'wrk' && LOADGEN !== 'autocannon') {
  process.stderr.write('--loadgen must be autocannon or wrk\n')
  process.exit(2)
}
const HIGH = 64

/** Progress and the human table: stderr when stdout carries JSON. */
const say = (line: string): void => void (opt.json ? process.stderr : process.stdout).write(line + '\n')

// ---------------------------------------------------------------- targets

type TargetName = 'direct' | 'bare' | 'gw-none' | 'gw-builtin' | 'gw-none-info' | 'gw-nostore'
interface Target {
  name: TargetName
  url: string
  child: Child
}

const DESCRIPTIONS: Record<TargetName, string> = {
  direct: 'the fake upstream itself, no proxy (c=1 only: what the bare proxy adds)',
  bare: 'bare Node proxy: node:http, JSON.parse + stringify, undici Pool, answer returned as it comes',
  'gw-none': `gateway, no guardrails, LOG_LEVEL=${LOG_LEVEL}`,
  'gw-builtin': `gateway, content_filter (pre_call+post_call) + prompt_injection (pre_call), LOG_LEVEL=${LOG_LEVEL}`,
  'gw-none-info': 'gateway, no guardrails, LOG_LEVEL=info (one JSON log line per call, stdout to a file)',
  'gw-nostore': `diagnostic: gateway, no guardrails, without storage (no call journal, no PGlite), LOG_LEVEL=${LOG_LEVEL}`,
}

function gatewayConfig(upstream: string, builtin: boolean): string {
  const lines = [
    '# generated by bench/run.ts',
    'model_list:',
    `  - model_name: ${MODEL}`,
    '    litellm_params:',
    `      model: openai/${MODEL}`,
    `      api_base: ${upstream}/v1`,
    '      api_key: sk-bench-upstream-key',
    'router_settings:',
    '  num_retries: 0',
  ]
  if (builtin) {
    lines.push(
      'guardrails:',
      '  - guardrail_name: content-filter',
      '    litellm_params:',
      '      guardrail: content_filter',
      '      mode: [pre_call, post_call]',
      '      default_on: true',
      '  - guardrail_name: prompt-injection',
      '    litellm_params:',
      '      guardrail: prompt_injection',
      '      mode: pre_call',
      '      default_on: true',
    )
  }
  return lines.join('\n') + '\n'
}

async function startGateway(dir: string, name: TargetName, config: string, logLevel: string, profileDir?: string): Promise<Child> {
  const file = join(dir, `${name}.yaml`)
  writeFileSync(file, config)
  const flags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []
  const main = name === 'gw-nostore' ? [join(ROOT, 'bench/gateway-nostore.ts')] : [join(ROOT, 'src/cli.ts'), 'serve']
  const child = await startNode(name, [...flags, ...main, '--config', file, '--port', '0'], {
    dir,
    cwd: ROOT,
    // its own data dir (journal + embedded PGlite), never the repository's ./.portcullis
    env: { LOG_LEVEL: logLevel, NODE_ENV: 'production', PORTCULLIS_DATA_DIR: join(dir, `${name}-data`) },
  })
  await storageOpen(name, child.url)
  return child
}

/**
 * The gateway listens before its database is open (records wait in the
 * journal meanwhile); measuring before that would leave the embedded
 * database's start-up out of the idle memory and in the first cell's CPU.
 */
async function storageOpen(name: TargetName, url: string): Promise<void> {
  const until = Date.now() + 60_000
  for (;;) {
    const body = (await (await fetch(`${url}/health/readiness`)).json()) as { db?: string }
    if (body.db === 'connected' || body.db === 'none') return
    if (Date.now() > until) throw new Error(`${name}: its database did not open within 60 s (readiness says db: ${body.db})`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** One JSON and one streamed call; undefined when both answer the fixed text unchanged. */
async function smoke(url: string): Promise<{ error?: string; guardrails?: string }> {
  const headers = { 'content-type': 'application/json', authorization: 'Bearer sk-bench-client' }
  const json = await request(`${url}/v1/chat/completions`, { method: 'POST', headers, body: requestBody(false) })
  const text = await json.body.text()
  if (json.statusCode !== 200) return { error: `JSON call answered ${json.statusCode}: ${text.slice(0, 300)}` }
  const content = (JSON.parse(text) as { choices?: { message?: { content?: string } }[] }).choices?.[0]?.message?.content
  if (content !== ANSWER_TEXT) return { error: `JSON call came back changed: ${JSON.stringify(content).slice(0, 200)}` }
  const applied = json.headers['x-portcullis-applied-guardrails']
  const stream = await request(`${url}/v1/chat/completions`, { method: 'POST', headers, body: requestBody(true) })
  const sse = await stream.body.text()
  if (stream.statusCode !== 200) return { error: `streamed call answered ${stream.statusCode}: ${sse.slice(0, 300)}` }
  let streamed = ''
  for (const line of sse.split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue
    const ev = JSON.parse(line.slice(6)) as { error?: unknown; choices?: { delta?: { content?: string } }[] }
    if (ev.error) return { error: `streamed call ended with an error event: ${line.slice(0, 300)}` }
    streamed += ev.choices?.[0]?.delta?.content ?? ''
  }
  if (streamed !== ANSWER_TEXT) return { error: `streamed call came back changed: ${JSON.stringify(streamed).slice(0, 200)}` }
  return typeof applied === 'string' ? { guardrails: applied } : {}
}

// ---------------------------------------------------------------- cells

interface Cell {
  c: number
  mode: Mode
  targets: TargetName[]
}

const CELLS: Cell[] = [
  { c: HIGH, mode: 'json', targets: ['bare', 'gw-none', 'gw-builtin', 'gw-none-info', 'gw-nostore'] },
  { c: HIGH, mode: 'stream', targets: ['bare', 'gw-none', 'gw-builtin'] },
  { c: 1, mode: 'json', targets: ['direct', 'bare', 'gw-none', 'gw-builtin', 'gw-none-info', 'gw-nostore'] },
  { c: 1, mode: 'stream', targets: ['direct', 'bare', 'gw-none', 'gw-builtin'] },
]

interface Row {
  target: TargetName
  c: number
  mode: Mode
  rps: number
  p50Us: number
  p99Us: number
  /** rps relative to bare in the same cell */
  ratio: number | null
  ok: number
  errors: number
  non2xx: number
  statuses: Record<string, number>
  ttftP50Us?: number
  ttftP99Us?: number
}

async function runCell(cell: Cell, targets: Map<TargetName, Target>, dir: string): Promise<{ rows: Row[]; foreign: ForeignCpu | undefined }> {
  const present = cell.targets.filter((t) => targets.has(t))
  const samples = new Map(present.map((t) => [t, new Samples()]))
  const body = requestBody(cell.mode === 'stream')
  const clients = new Map<TargetName, Client>()
  const script = LOADGEN === 'wrk' && cell.c > 1 ? wrkScript(dir, `body-${cell.mode}`, body) : ''
  const run = async (name: TargetName, seconds: number, into?: Samples): Promise<void> => {
    const url = targets.get(name)!.url
    if (cell.c === 1) {
      let client = clients.get(name)
      if (!client) clients.set(name, (client = new Client(url, { pipelining: 1, keepAliveTimeout: 60_000 })))
      await sequentialRun(client, body, cell.mode, seconds, into)
    } else if (LOADGEN === 'wrk') await wrkRun(url, script, cell.c, seconds, into)
    else await autocannonRun(url, body, cell.c, seconds, into)
  }
  const pids = [...new Set([...targets.values()].map((t) => t.child.pid))]
  let before
  try {
    for (const t of present) await run(t, WARMUP)
    before = cpuSnapshot(pids)
    for (let r = 0; r < ROUNDS; r++) for (const t of present) await run(t, DURATION / ROUNDS, samples.get(t))
  } finally {
    await Promise.all([...clients.values()].map((c) => c.close()))
  }
  const foreign = foreignCpu(before, cpuSnapshot(pids), cpus().length)
  const bareRps = samples.get('bare')?.rps
  const rows = present.map((t): Row => {
    const s = samples.get(t)!
    return {
      target: t,
      c: cell.c,
      mode: cell.mode,
      rps: s.rps,
      p50Us: s.latency(50),
      p99Us: s.latency(99),
      ratio: bareRps && t.startsWith('gw-') ? s.rps / bareRps : null,
      ok: s.ok,
      errors: s.errors,
      non2xx: s.non2xx,
      statuses: Object.fromEntries(s.statuses),
      ...(s.ttftUs.length > 0 ? { ttftP50Us: percentile(s.ttftUs, 50), ttftP99Us: percentile(s.ttftUs, 99) } : {}),
    }
  })
  return { rows, foreign }
}

// ---------------------------------------------------------------- formatting

const us = (v: number | undefined): string =>
  v === undefined || Number.isNaN(v) ? '—' : v < 1000 ? `${Math.round(v)} µs` : v < 100_000 ? `${(v / 1000).toFixed(2)} ms` : `${Math.round(v / 1000)} ms`
const signedUs = (v: number | undefined): string =>
  v === undefined || Number.isNaN(v) ? '—' : `${v >= 0 ? '+' : '−'}${us(Math.abs(v))}`
const mb = (m: Memory | undefined): string => (m ? `${m.rssMB.toFixed(0)} MB` : '—')

function table(rows: Row[]): string {
  const head = ['target', 'c', 'mode', 'rps', 'p50', 'p99', 'ratio', 'notes']
  const body = rows.map((r) => {
    const notes: string[] = []
    if (r.ttftP50Us !== undefined) notes.push(`ttft p50 ${us(r.ttftP50Us)} p99 ${us(r.ttftP99Us)}`)
    if (r.errors) notes.push(`${r.errors} errors`)
    if (r.non2xx) notes.push(`${r.non2xx} non-2xx (${Object.entries(r.statuses).filter(([k]) => !k.startsWith('2')).map(([k, n]) => `${k}×${n}`).join(' ')})`)
    return [r.target, String(r.c), r.mode, Math.round(r.rps).toString(), us(r.p50Us), us(r.p99Us), r.ratio === null ? '' : r.ratio.toFixed(2), notes.join('; ')]
  })
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
  const right = new Set([1, 3, 4, 5, 6])
  const fmt = (cols: string[]): string =>
    cols.map((c, i) => (i === cols.length - 1 ? c : right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()
  return [fmt(head), ...body.map(fmt)].join('\n')
}

// ---------------------------------------------------------------- main

interface Budget {
  name: string
  limit: string
  value: string
  pass: boolean | null
}

let tmpDir: string | undefined

async function main(): Promise<void> {
  const started = performance.now()
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'))
  tmpDir = dir
  const children: Child[] = []
  let ok = false
  try {
    const upstream = await startNode('upstream', [join(ROOT, 'bench/fake-upstream.ts')], { dir })
    children.push(upstream)
    if (opt.soak !== undefined) {
      await soak(dir, upstream, children, num(opt.soak, 60, 'soak'))
      ok = true
      return
    }
    const targets = new Map<TargetName, Target>([['direct', { name: 'direct', url: upstream.url, child: upstream }]])
    const skipped: Partial<Record<TargetName, string>> = {}
    const bare = await startNode('bare', [join(ROOT, 'bench/bare-proxy.ts'), '--upstream', upstream.url], { dir })
    children.push(bare)
    targets.set('bare', { name: 'bare', url: bare.url, child: bare })

    const profileDir = (name: string): string | undefined => {
      if (!opt.profile) return undefined
      const d = join(dir, `prof-${name}`)
      mkdirSync(d, { recursive: true })
      return d
    }
    const gateways: [TargetName, boolean, string][] = [
      ['gw-none', false, LOG_LEVEL],
      ['gw-builtin', true, LOG_LEVEL],
      ...(opt['no-info'] ? [] : [['gw-none-info', false, 'info'] as [TargetName, boolean, string]]),
      ...(opt.nostore ? [['gw-nostore', false, LOG_LEVEL] as [TargetName, boolean, string]] : []),
    ]
    for (const [name, builtin, level] of gateways) {
      try {
        const child = await startGateway(dir, name, gatewayConfig(upstream.url, builtin), level, profileDir(name))
        children.push(child)
        targets.set(name, { name, url: child.url, child })
      } catch (err) {
        if (!(err instanceof StartError)) throw err
        const errors = err.output.split('\n').filter((l) => l.startsWith('error:'))
        skipped[name] = `${err.message}: ${(errors.length ? errors : err.output.trim().split('\n').slice(-3)).join(' | ')}`
        if (name === 'gw-none' || name === 'gw-none-info') throw new Error(skipped[name])
      }
    }
    const applied: Partial<Record<TargetName, string>> = {}
    for (const [name, t] of targets) {
      const s = await smoke(t.url)
      if (s.error) {
        if (name !== 'gw-builtin' && name !== 'gw-nostore') throw new Error(`${name}: ${s.error}`)
        skipped[name] = s.error
        targets.delete(name)
        await stopChild(t.child)
      }
      if (s.guardrails) applied[name] = s.guardrails
    }

    const cpu = cpus()
    say(`Portcullis bench — ${cpu.length} CPU(s) ${cpu[0]?.model ?? ''}, Node ${process.version}, loopback, 127.0.0.1`)
    say(`load: ${LOADGEN === 'wrk' ? 'wrk -t1 (its own process)' : 'autocannon (in the bench process)'} at c=${HIGH}, sharing the CPUs with the servers; the bench's own undici loop at c=1 (µs timing, TTFT)`)
    say(`cells: ${WARMUP} s warm-up + ${DURATION} s per target, ${ROUNDS} round(s) alternating targets; request ${Buffer.byteLength(requestBody(false))} B (prompt ~1 KB prose, nothing for a guardrail to act on)`)
    for (const [name, t] of targets) say(`  ${name.padEnd(13)} ${t.url.padEnd(24)} ${DESCRIPTIONS[name]}${applied[name] ? ` [applied: ${applied[name]}]` : ''}`)
    for (const [name, why] of Object.entries(skipped)) say(`  ${name.padEnd(13)} SKIPPED — ${why}`)
    say('')

    const idleMemory: Partial<Record<TargetName, Memory>> = {}
    for (const [name, t] of targets) if (name !== 'direct') idleMemory[name] = memoryOf(t.child.pid)
    const rows: Row[] = []
    const interference: { cell: string; cpuSeconds: number; share: number }[] = []
    for (const cell of CELLS) {
      const t0 = performance.now()
      const { rows: cellRows, foreign } = await runCell(cell, targets, dir)
      rows.push(...cellRows)
      if (foreign) interference.push({ cell: `c=${cell.c} ${cell.mode}`, cpuSeconds: foreign.seconds, share: foreign.share })
      say(
        `  c=${cell.c} ${cell.mode}: ${cellRows.map((r) => `${r.target} ${Math.round(r.rps)}/s`).join(', ')} (${((performance.now() - t0) / 1000).toFixed(1)} s` +
          `${foreign ? `; other processes took ${(foreign.share * 100).toFixed(0)}% of the CPUs` : ''})`,
      )
    }
    const memory: Partial<Record<TargetName, Memory>> = {}
    for (const [name, t] of targets) if (name !== 'direct') memory[name] = memoryOf(t.child.pid)

    const find = (target: TargetName, c: number, mode: Mode): Row | undefined => rows.find((r) => r.target === target && r.c === c && r.mode === mode)
    const added = (target: TargetName, mode: Mode, key: 'p50Us' | 'p99Us' | 'ttftP50Us' | 'ttftP99Us'): number | undefined => {
      const a = find(target, 1, mode)?.[key]
      const b = find('bare', 1, mode)?.[key]
      return a !== undefined && b !== undefined ? a - b : undefined
    }
    const gws: TargetName[] = ['gw-none', 'gw-builtin']
    const summary = {
      addedLatencyUs: Object.fromEntries(
        (['bare', ...gws] as TargetName[]).filter((t) => targets.has(t)).map((t) => [
          t,
          t === 'bare'
            ? { p50: (find('bare', 1, 'json')?.p50Us ?? NaN) - (find('direct', 1, 'json')?.p50Us ?? NaN), versus: 'direct' }
            : { p50: added(t, 'json', 'p50Us'), p99: added(t, 'json', 'p99Us'), versus: 'bare' },
        ]),
      ),
      ttftUs: Object.fromEntries(
        (['bare', ...gws] as TargetName[]).filter((t) => targets.has(t)).map((t) => [
          t,
          { p50: find(t, 1, 'stream')?.ttftP50Us, p99: find(t, 1, 'stream')?.ttftP99Us, addedP50: t === 'bare' ? 0 : added(t, 'stream', 'ttftP50Us'), addedP99: t === 'bare' ? 0 : added(t, 'stream', 'ttftP99Us') },
        ]),
      ),
      memoryMB: memory,
      idleMemoryMB: idleMemory,
      interference,
      infoLogs: targets.has('gw-none-info')
        ? {
            rpsRatioC64: (find('gw-none-info', HIGH, 'json')?.rps ?? NaN) / (find('gw-none', HIGH, 'json')?.rps ?? NaN),
            addedP50UsC1: (find('gw-none-info', 1, 'json')?.p50Us ?? NaN) - (find('gw-none', 1, 'json')?.p50Us ?? NaN),
          }
        : undefined,
      storage: targets.has('gw-nostore')
        ? {
            rpsRatioC64: (find('gw-none', HIGH, 'json')?.rps ?? NaN) / (find('gw-nostore', HIGH, 'json')?.rps ?? NaN),
            addedP50UsC1: (find('gw-none', 1, 'json')?.p50Us ?? NaN) - (find('gw-nostore', 1, 'json')?.p50Us ?? NaN),
          }
        : undefined,
    }

    const budget: Budget[] = []
    const check = (name: string, limit: string, value: number | undefined, pass: (v: number) => boolean, show: (v: number) => string): void => {
      const known = value !== undefined && !Number.isNaN(value)
      budget.push({ name, limit, value: known ? show(value) : 'not measured', pass: known ? pass(value) : null })
    }
    check('throughput gw-none / bare (c=64 JSON)', '≥ 0.80', find('gw-none', HIGH, 'json')?.ratio ?? undefined, (v) => v >= 0.8, (v) => v.toFixed(2))
    check('throughput gw-builtin / bare (c=64 JSON)', '≥ 0.60', find('gw-builtin', HIGH, 'json')?.ratio ?? undefined, (v) => v >= 0.6, (v) => v.toFixed(2))
    check('added latency c=1 p50, gw-none', '≤ 100 µs', added('gw-none', 'json', 'p50Us'), (v) => v <= 100, signedUs)
    check('added latency c=1 p50, gw-builtin', '≤ 250 µs', added('gw-builtin', 'json', 'p50Us'), (v) => v <= 250, signedUs)
    check('added TTFT p50, gw-builtin (post_call on streams)', '≤ 1 ms', added('gw-builtin', 'stream', 'ttftP50Us'), (v) => v <= 1000, signedUs)
    const rssOf: TargetName = memory['gw-builtin'] ? 'gw-builtin' : 'gw-none'
    check(`RSS ${rssOf} after this run (the budget's 60 s run is --soak 60)`, '< 200 MB', memory[rssOf]?.rssMB, (v) => v < 200, (v) => `${v.toFixed(0)} MB`)

    let profiles: Record<string, ReturnType<typeof topSelfTime>> | undefined
    if (opt.profile) {
      profiles = {}
      for (const [name, t] of targets) {
        if (!name.startsWith('gw-')) continue
        await stopChild(t.child, 15_000)
        const d = join(dir, `prof-${name}`)
        const file = readdirSync(d).find((f) => f.endsWith('.cpuprofile'))
        if (file) profiles[name] = topSelfTime(join(d, file), 10)
      }
    }

    // ---- the table
    say('')
    say(table(rows))
    say('')
    const line = (label: string, parts: string[]): void => say(`${label}${parts.join(', ')}`)
    line('added latency c=1 p50: ', [
      ...(targets.has('bare') ? [`bare ${signedUs(summary.addedLatencyUs.bare?.p50)} over direct`] : []),
      ...gws.filter((t) => targets.has(t)).map((t) => `${t} ${signedUs(added(t, 'json', 'p50Us'))} (p99 ${signedUs(added(t, 'json', 'p99Us'))})`),
    ])
    line('TTFT p50: ', [
      `bare ${us(find('bare', 1, 'stream')?.ttftP50Us)}`,
      ...gws.filter((t) => targets.has(t)).map((t) => `${t} ${signedUs(added(t, 'stream', 'ttftP50Us'))} (p99 ${signedUs(added(t, 'stream', 'ttftP99Us'))})`),
    ])
    line('RSS after run: ', [
      ...(['gw-none', 'gw-builtin', 'gw-none-info', 'gw-nostore', 'bare'] as TargetName[])
        .filter((t) => memory[t])
        .map((t) => `${t} ${mb(memory[t])} (idle after start ${mb(idleMemory[t])}, peak ${memory[t]!.peakMB.toFixed(0)} MB)`),
    ])
    if (summary.infoLogs) {
      say(
        `info logs (gw-none-info vs gw-none): throughput ×${summary.infoLogs.rpsRatioC64.toFixed(2)} at c=64, ${signedUs(summary.infoLogs.addedP50UsC1)} p50 at c=1` +
          ` — the measured gateways run LOG_LEVEL=${LOG_LEVEL}`,
      )
    }
    if (summary.storage) {
      say(
        `storage (gw-none vs gw-nostore): throughput ×${summary.storage.rpsRatioC64.toFixed(2)} at c=64, ${signedUs(summary.storage.addedP50UsC1)} p50 at c=1` +
          ` — what the call journal and embedded PGlite cost`,
      )
    }
    for (const [name, why] of Object.entries(skipped)) say(`${name} skipped: ${why}`)
    const busy = interference.filter((i) => i.share > 0.05)
    if (busy.length > 0) {
      say(
        `WARNING: other processes used the CPUs during ${busy.map((i) => `${i.cell} (${(i.share * 100).toFixed(0)}%)`).join(', ')}; ` +
          'those figures are skewed — run again on an idle machine',
      )
    }
    say('')
    say('budget (measured, not asserted):')
    for (const b of budget) say(`  ${b.pass === null ? '?' : b.pass ? '✓' : '✗'} ${b.name}: ${b.value} (budget ${b.limit})`)
    if (profiles) {
      say('')
      for (const [name, p] of Object.entries(profiles)) say(formatTop(name, p) + '\n')
      say('(figures of a --profile run are slowed by the profiler; compare them with a run without it)')
    }
    const elapsed = (performance.now() - started) / 1000
    say(`\n${elapsed.toFixed(0)} s${opt.keep ? `; configs and logs kept in ${dir}` : ''}`)

    const result = {
      machine: { cpus: cpu.length, cpuModel: cpu[0]?.model, node: process.version, platform: process.platform },
      settings: { loadgen: LOADGEN, highConcurrency: HIGH, durationS: DURATION, warmupS: WARMUP, rounds: ROUNDS, logLevel: LOG_LEVEL, requestBytes: Buffer.byteLength(requestBody(false)) },
      targets: Object.fromEntries([...targets].map(([n, t]) => [n, { url: t.url, description: DESCRIPTIONS[n], appliedGuardrails: applied[n] ?? null }])),
      skipped,
      rows,
      ...summary,
      budget,
      ...(profiles ? { profiles } : {}),
      elapsedS: elapsed,
    }
    const json = JSON.stringify(result, null, 2) + '\n'
    if (opt.json) process.stdout.write(json)
    if (opt.out) writeFileSync(opt.out, json)
    ok = true
  } finally {
    await stopAll(children, 3000)
    if (opt.keep || !ok) {
      if (!ok) process.stderr.write(`bench: logs of the servers are in ${dir}\n`)
    } else rmSync(dir, { recursive: true, force: true })
    tmpDir = undefined
  }
}

// ---------------------------------------------------------------- soak

async function soak(dir: string, upstream: Child, children: Child[], seconds: number): Promise<void> {
  let name: TargetName = 'gw-builtin'
  let child: Child
  try {
    child = await startGateway(dir, name, gatewayConfig(upstream.url, true), LOG_LEVEL)
  } catch (err) {
    if (!(err instanceof StartError)) throw err
    const why = err.output.split('\n').filter((l) => l.startsWith('error:')).join(' | ') || err.message
    say(`gw-builtin cannot start (${why}); soaking gw-none instead`)
    name = 'gw-none'
    child = await startGateway(dir, name, gatewayConfig(upstream.url, false), LOG_LEVEL)
  }
  children.push(child)
  const s = await smoke(child.url)
  if (s.error) throw new Error(`${name}: ${s.error}`)
  say(`soak: ${name} at c=${HIGH} for ${seconds} s, JSON and streamed calls alternating on each connection (autocannon), RSS every second`)
  const samples: { t: number; rssMB: number }[] = []
  const t0 = performance.now()
  const sample = (): void => {
    const m = memoryOf(child.pid)
    if (m) samples.push({ t: (performance.now() - t0) / 1000, rssMB: m.rssMB })
  }
  sample()
  const timer = setInterval(sample, 1000)
  const into = new Samples()
  const pids = children.map((c) => c.pid)
  const before = cpuSnapshot(pids)
  try {
    await autocannonMixed(child.url, seconds, into)
  } finally {
    clearInterval(timer)
  }
  const foreign = foreignCpu(before, cpuSnapshot(pids), cpus().length)
  sample()
  const at = (t: number): number => {
    let best = samples[0]!
    for (const x of samples) if (Math.abs(x.t - t) < Math.abs(best.t - t)) best = x
    return best.rssMB
  }
  const half = at(seconds / 2)
  const end = samples[samples.length - 1]!.rssMB
  const max = Math.max(...samples.map((x) => x.rssMB))
  const result = {
    target: name,
    seconds,
    rps: into.rps,
    p50Us: into.latency(50),
    p99Us: into.latency(99),
    errors: into.errors,
    non2xx: into.non2xx,
    rssMB: { start: samples[0]!.rssMB, secondHalfStart: half, end, max, growthSecondHalf: end - half },
    interference: foreign,
    samples,
  }
  say(`  ${Math.round(into.rps)} calls/s, p50 ${us(result.p50Us)}, p99 ${us(result.p99Us)}, ${into.errors} errors, ${into.non2xx} non-2xx`)
  say(`  RSS: start ${samples[0]!.rssMB.toFixed(1)} MB, at ${seconds / 2} s ${half.toFixed(1)} MB, end ${end.toFixed(1)} MB, max ${max.toFixed(1)} MB; second-half growth ${(end - half).toFixed(1)} MB`)
  say(`  RSS every 5 s: ${samples.filter((_, i) => i % 5 === 0).map((x) => x.rssMB.toFixed(0)).join(' ')} MB`)
  if (foreign && foreign.share > 0.05) say(`  WARNING: other processes took ${(foreign.share * 100).toFixed(0)}% of the CPUs meanwhile; throughput and latency are skewed`)
  say('budget (measured, not asserted):')
  say(`  ${end < 200 ? '✓' : '✗'} RSS after ${seconds} s: ${end.toFixed(0)} MB (budget < 200 MB)`)
  say(`  ${end - half <= 2 ? '✓' : '✗'} growth over the second half: ${(end - half).toFixed(1)} MB (budget: none; ≤ 2 MB taken as noise)`)
  const json = JSON.stringify({ soak: result }, null, 2) + '\n'
  if (opt.json) process.stdout.write(json)
  if (opt.out) writeFileSync(opt.out, json)
}

/** autocannon whatever --loadgen says: it can alternate two bodies on each connection, wrk cannot. */
function autocannonMixed(url: string, seconds: number, into: Samples): Promise<void> {
  const headers = { 'content-type': 'application/json', authorization: 'Bearer sk-bench-client' }
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${url}/v1/chat/completions`,
        connections: HIGH,
        duration: seconds,
        timeout: 10,
        requests: [
          { method: 'POST', path: '/v1/chat/completions', headers, body: requestBody(false) },
          { method: 'POST', path: '/v1/chat/completions', headers, body: requestBody(true) },
        ],
      },
      (err, result) => {
        if (err) return reject(err)
        into.seconds += result.duration
        into.errors += result.errors + result.timeouts
        into.non2xx += result.non2xx
        resolve()
      },
    )
    instance.on('response', (_c, status, _b, ms) => {
      if (status >= 200 && status < 300) {
        into.ok++
        into.latencyUs.push(ms * 1000)
      }
    })
  })
}

// ---------------------------------------------------------------- lifecycle

process.on('exit', killAllNow)
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    process.stderr.write(`\nbench: ${sig}, stopping the servers\n`)
    killAllNow()
    try {
      if (tmpDir && !opt.keep) rmSync(tmpDir, { recursive: true, force: true, maxRetries: 3 })
    } catch {
      process.stderr.write(`bench: could not remove ${tmpDir}\n`)
    }
    process.exit(130)
  })
}
main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`)
  killAllNow()
  process.exit(1)
})
