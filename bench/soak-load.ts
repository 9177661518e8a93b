// The soak's load: clients sending a mix of ordinary and hostile requests
// (judged by the fuzz property), a liveness probe timing how long a health
// check waits, and slowloris connections that trickle header lines.
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { faults, Ledger, send, type Endpoint } from '../test/fuzz/harness.ts'
import type { FuzzRequest } from '../test/fuzz/routes.ts'

export class LoadTally {
  sent = 0
  noAnswer = 0
  readonly byStatus = new Map<string, number>()
  /** fault kinds the fuzz property found, with how often */
  readonly faults = new Map<string, number>()
  /** answered calls on recorded routes, by record id */
  readonly ledger = new Ledger()

  count(status: number | 'none'): void {
    const k = String(status)
    this.byStatus.set(k, (this.byStatus.get(k) ?? 0) + 1)
  }

  fault(f: string): void {
    // a kind, not each message: its words up to the details, quoted values left out
    const kind = f.replace(/"[^"]*"/g, '…').replace(/[:(].*$/s, '').trim()
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1)
  }
}

export interface Probe {
  ms: number
  ok: boolean
}

/** Runs `concurrency` clients until `until`, each sending `pick(i)`; probes liveness every 250 ms meanwhile. */
export async function runLoad(opts: { endpoint: Endpoint; until: number; concurrency: number; pick: (i: number) => FuzzRequest; tally: LoadTally; probes: Probe[] }): Promise<void> {
  const { endpoint, tally } = opts
  let next = 0
  const client = async (): Promise<void> => {
    while (Date.now() < opts.until) {
      const r = opts.pick(next++)
      tally.sent++
      try {
        const a = await send(endpoint, r)
        tally.count(a.status)
        for (const f of [...faults(endpoint, r, a), ...tally.ledger.note(r, a)]) tally.fault(f)
      } catch {
        tally.noAnswer++
        tally.count('none')
      }
    }
  }
  const probe = async (): Promise<void> => {
    while (Date.now() < opts.until) {
      const t0 = performance.now()
      let ok = false
      try {
        ok = (await fetch(`${endpoint.url}/health/liveliness`, { signal: AbortSignal.timeout(30_000) })).status === 200
      } catch {
        ok = false
      }
      opts.probes.push({ ms: performance.now() - t0, ok })
      await sleep(250)
    }
  }
  await Promise.all([...Array.from({ length: opts.concurrency }, client), probe()])
}

export interface SlowlorisEnd {
  opened: number
  closedByServer: number
  /** seconds from opening to the first close by the gateway */
  firstClosedAfterS: number | undefined
}

/** `n` connections that send a request line, then one header line every 5 s, until `until` (or the gateway closes them). */
export async function slowloris(url: string, n: number, until: number): Promise<SlowlorisEnd> {
  const { hostname, port } = new URL(url)
  const started = Date.now()
  let closedByServer = 0
  let firstClosedAfterS: number | undefined
  const sockets = Array.from({ length: n }, () => {
    const s = connect(Number(port), hostname)
    let ours = false
    s.on('error', () => {})
    s.on('close', () => {
      if (ours) return
      closedByServer++
      firstClosedAfterS ??= (Date.now() - started) / 1000
    })
    s.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: ${hostname}\r\n`)
    return { s, close: () => ((ours = true), s.destroy()) }
  })
  while (Date.now() < until) {
    await sleep(Math.min(5000, Math.max(0, until - Date.now())))
    for (const { s } of sockets) if (!s.destroyed) s.write(`x-trickle-${Date.now()}: 1\r\n`)
  }
  for (const k of sockets) k.close()
  return { opened: n, closedByServer, firstClosedAfterS }
}
