// `npm run soak`: a mixed load with hostile inputs against a real gateway
// process (embedded PGlite, records with prompts, the built-in guardrails),
// for N seconds, then a report: resident memory, event-loop delay, liveness
// latency, answers by status, and the records in the database against the
// calls answered. The hostile requests are drawn from the fuzz generators
// (test/fuzz/routes.ts); slowloris connections trickle their headers all along.
//
//   npm run soak -- [--seconds 60] [--concurrency 32] [--hostile 0.4] [--slowloris 50] [--json]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import fc from 'fast-check'
import { openDb } from '../src/store/db.ts'
import { startFakeOpenAI } from '../test/servers/fake-openai.ts'
import { Agent } from 'undici'
import { DEPLOYMENT_KEY, MASTER, targetConfig, type Endpoint } from '../test/fuzz/harness.ts'
import { ROUTES, type FuzzRequest } from '../test/fuzz/routes.ts'
import { killAllNow, memoryOf, startNode, stopChild } from './procs.ts'
import { LoadTally, runLoad, slowloris, type Probe } from './soak-load.ts'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '32' },
    hostile: { type: 'string', default: '0.4' },
    slowloris: { type: 'string', default: '50' },
    json: { type: 'boolean', default: false },
  },
})
const SECONDS = Number(opts.seconds)
const CONCURRENCY = Number(opts.concurrency)
const HOSTILE = Number(opts.hostile)

process.on('exit', killAllNow)

const dir = mkdtempSync(join(tmpdir(), 'portcullis-soak-'))
const fake = await startFakeOpenAI({ name: 'fake' })
const configFile = join(dir, 'portcullis.yaml')
writeFileSync(configFile, JSON.stringify(targetConfig(fake.url)))
const gw = await startNode('gateway', [join(ROOT, 'src/cli.ts'), 'serve', '--config', configFile, '--host', '127.0.0.1', '--port', '0'], {
  dir,
  env: { PORTCULLIS_DATA_DIR: dir, LOG_LEVEL: 'warn' },
  timeoutMs: 120_000,
})

async function post(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(gw.url + path, { method: 'POST', headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return (await res.json()) as Record<string, unknown>
}
// the database opens in the background: the first key waits for it
const key = (await post('/key/generate', { key_alias: 'soak' })).key as string
const victim = await post('/key/generate', { key_alias: 'victim' })

// The hostile pool: requests drawn from every fuzzed route, in proportion to its runs.
const hostile: FuzzRequest[] = ROUTES.flatMap((r) => fc.sample(r.request, { numRuns: Math.max(10, Math.round(r.runs * 4)) }))
const normal = (i: number): FuzzRequest => ({
  method: 'POST',
  path: '/v1/chat/completions',
  auth: i % 3 === 0 ? 'key' : 'master',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ model: i % 2 === 0 ? 'echo' : 'gpt', stream: i % 4 < 2, messages: [{ role: 'user', content: `soak call ${i}: summarise the weather in Lisbon` }] }),
})

const endpoint: Endpoint = {
  url: gw.url,
  key,
  victim: { key: victim.key as string, hash: victim.token as string },
  secrets: [MASTER, DEPLOYMENT_KEY, key, victim.key as string],
  agent: new Agent({ connections: CONCURRENCY, headersTimeout: 60_000, bodyTimeout: 60_000 }),
}
const tally = new LoadTally()
const rss: number[] = []
const loopP99: number[] = []
const probes: Probe[] = []
const started = Date.now()
const until = started + SECONDS * 1000

const sampler = setInterval(async () => {
  const m = memoryOf(gw.pid)
  if (m) rss.push(m.rssMB)
  try {
    const text = await (await fetch(`${gw.url}/metrics`)).text()
    const v = /^portcullis_nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text)?.[1]
    if (v !== undefined) loopP99.push(Number(v) * 1000)
  } catch {
    // counted by the liveness probe
  }
}, 1000)

const loris = slowloris(gw.url, Number(opts.slowloris), until)
await runLoad({
  endpoint,
  until,
  concurrency: CONCURRENCY,
  pick: (i) => (Math.random() < HOSTILE ? (hostile[i % hostile.length] as FuzzRequest) : normal(i)),
  tally,
  probes,
})
await endpoint.agent.close()
clearInterval(sampler)
const lorisEnd = await loris
const rssEnd = memoryOf(gw.pid)

// SIGTERM drains the journal into the database; then count what it holds.
await stopChild(gw, 60_000)
await fake.close()
const db = await openDb({ databaseUrl: undefined, dataDir: dir })
const inDb = async (ids: string[]): Promise<number> =>
  ids.length === 0 ? 0 : ((await db.query<{ n: number }>('select count(*)::int as n from requests where request_id = any($1::text[])', [ids]))[0]?.n ?? 0)
const calls = [...tally.ledger.calls]
const ids2xx = calls.filter(([, c]) => c.status >= 200 && c.status < 300).map(([id]) => id)
const written2xx = await inDb(ids2xx)
const writtenAll = await inDb(calls.map(([id]) => id))
await db.close()
rmSync(dir, { recursive: true, force: true })

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b)
const pct = (xs: number[], p: number): number => sorted(xs)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN
const probeMs = probes.map((p) => p.ms)
const report = {
  seconds: SECONDS,
  concurrency: CONCURRENCY,
  hostileShare: HOSTILE,
  requests: tally.sent,
  byStatus: Object.fromEntries([...tally.byStatus].sort()),
  faults: Object.fromEntries(tally.faults),
  noAnswer: tally.noAnswer,
  rssMB: { start: rss[0], max: Math.max(...rss), end: rssEnd?.rssMB, peak: rssEnd?.peakMB },
  eventLoopDelayP99Ms: { median: pct(loopP99, 50), max: Math.max(...loopP99) },
  livenessMs: { p50: pct(probeMs, 50), p99: pct(probeMs, 99), max: Math.max(...probeMs), failed: probes.filter((p) => !p.ok).length },
  records: { answered2xx: ids2xx.length, written2xx, answeredRecordedRoutes: calls.length, writtenAll },
  slowloris: lorisEnd,
}
if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n')
else {
  const f = (n: number | undefined): string => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(1))
  console.log(`soak: ${SECONDS} s, ${CONCURRENCY} clients, ${Math.round(HOSTILE * 100)}% hostile, ${Number(opts.slowloris)} slowloris connections`)
  console.log(`requests       ${report.requests} (${Object.entries(report.byStatus).map(([s, n]) => `${s}: ${n}`).join(', ')})`)
  console.log(`faults         ${Object.entries(report.faults).map(([k, n]) => `${k}: ${n}`).join('; ') || 'none'}; no answer ${report.noAnswer}`)
  console.log(`RSS MB         start ${f(report.rssMB.start)}, max ${f(report.rssMB.max)}, end ${f(report.rssMB.end)} (peak ${f(report.rssMB.peak)})`)
  console.log(`loop delay p99 median of 1 s windows ${f(report.eventLoopDelayP99Ms.median)} ms, worst window ${f(report.eventLoopDelayP99Ms.max)} ms`)
  console.log(`liveness       p50 ${f(report.livenessMs.p50)} ms, p99 ${f(report.livenessMs.p99)} ms, max ${f(report.livenessMs.max)} ms, failed ${report.livenessMs.failed}`)
  console.log(`records        ${report.records.written2xx} written of ${report.records.answered2xx} 2xx answered; ${report.records.writtenAll} of ${report.records.answeredRecordedRoutes} answered calls on recorded routes`)
  console.log(`slowloris      ${lorisEnd.closedByServer} of ${lorisEnd.opened} closed by the gateway (first after ${f(lorisEnd.firstClosedAfterS)} s)`)
}
process.exit(0)
