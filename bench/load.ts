// The two load generators of the benchmark and the statistics they share.
//  - autocannonRun: many connections (c=64) through autocannon's programmatic
//    API. Its own latency histogram keeps whole milliseconds only, so the
//    latency of every 2xx response is taken from its `response` event instead
//    (fractional ms from process.hrtime) and kept here in microseconds.
//  - sequentialRun: concurrency 1 with an undici Client and performance.now()
//    around each call, for microsecond-precise added latency; on streams it
//    also times the first body chunk that carries content (time to first token).
import autocannon from 'autocannon'
import { Client } from 'undici'

export type Mode = 'json' | 'stream'

/** Latencies of one target in one cell, added to over its rounds. */
export class Samples {
  latencyUs: number[] = []
  ttftUs: number[] = []
  ok = 0
  errors = 0
  non2xx = 0
  seconds = 0
  statuses = new Map<string, number>()
  /** percentiles reported by an external generator (wrk), per round */
  rounds: { n: number; p50Us: number; p99Us: number }[] = []

  get rps(): number {
    return this.seconds > 0 ? this.ok / this.seconds : 0
  }

  /** exact from the samples; from wrk, the rounds' percentiles weighted by their counts */
  latency(p: 50 | 99): number {
    if (this.latencyUs.length > 0 || this.rounds.length === 0) return percentile(this.latencyUs, p)
    const n = this.rounds.reduce((a, r) => a + r.n, 0)
    return this.rounds.reduce((a, r) => a + (p === 50 ? r.p50Us : r.p99Us) * r.n, 0) / (n || 1)
  }
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = Float64Array.from(values).sort()
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] ?? NaN
}

const HEADERS = { 'content-type': 'application/json', authorization: 'Bearer sk-bench-client' }

/** c connections for `seconds`; adds to `into` unless it is undefined (warm-up). */
export function autocannonRun(url: string, body: string, connections: number, seconds: number, into?: Samples): Promise<void> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${url}/v1/chat/completions`,
        method: 'POST',
        headers: HEADERS,
        body,
        connections,
        pipelining: 1,
        duration: seconds,
        timeout: 10,
      },
      (err, result) => {
        if (err) {
          reject(err)
          return
        }
        if (into) {
          into.seconds += result.duration
          into.errors += result.errors + result.timeouts
          into.non2xx += result.non2xx
          for (const [code, { count }] of Object.entries(result.statusCodeStats)) into.statuses.set(code, (into.statuses.get(code) ?? 0) + count)
        }
        resolve()
      },
    )
    if (into) {
      instance.on('response', (_client, statusCode, _bytes, responseTime) => {
        if (statusCode >= 200 && statusCode < 300) {
          into.ok++
          into.latencyUs.push(responseTime * 1000)
        }
      })
    }
  })
}

const CONTENT = /"content":"(?:[^"\\]|\\.)/

/** One call at a time on one keep-alive connection for `seconds`. */
export async function sequentialRun(client: Client, body: string, mode: Mode, seconds: number, into?: Samples): Promise<void> {
  const start = performance.now()
  const end = start + seconds * 1000
  let now = start
  while (now < end) {
    const t0 = performance.now()
    let ttft = NaN
    let status = 0
    try {
      const res = await client.request({ path: '/v1/chat/completions', method: 'POST', headers: HEADERS, body })
      status = res.statusCode
      if (mode === 'stream') {
        let seen = ''
        for await (const chunk of res.body) {
          if (Number.isNaN(ttft)) {
            seen += (chunk as Buffer).toString('utf8')
            if (CONTENT.test(seen)) ttft = performance.now() - t0
          }
        }
      } else {
        await res.body.arrayBuffer()
      }
    } catch {
      if (into) into.errors++
      now = performance.now()
      continue
    }
    now = performance.now()
    if (!into) continue
    into.statuses.set(String(status), (into.statuses.get(String(status)) ?? 0) + 1)
    if (status >= 200 && status < 300) {
      into.ok++
      into.latencyUs.push((now - t0) * 1000)
      if (!Number.isNaN(ttft)) into.ttftUs.push(ttft * 1000)
    } else into.non2xx++
  }
  if (into) into.seconds += (now - start) / 1000
}
