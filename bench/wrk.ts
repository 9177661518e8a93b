// wrk as the many-connection load generator, when it is on PATH: C, one
// thread, so it leaves more of a small machine to what it measures than
// autocannon does. The POST body comes from a file through a Lua script, whose
// done() hook prints the exact figures as one JSON line.
import { execFileSync, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Samples } from './load.ts'

export function wrkAvailable(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' })
    return true
  } catch (err) {
    // wrk --version exits 1 after printing its version
    return (err as { status?: number }).status === 1
  }
}

/** Writes the Lua script for one body; returns its path. */
export function wrkScript(dir: string, name: string, body: string): string {
  const bodyFile = join(dir, `${name}.body.json`)
  writeFileSync(bodyFile, body)
  const script = join(dir, `${name}.lua`)
  writeFileSync(
    script,
    `local f = assert(io.open(${JSON.stringify(bodyFile)}, "rb"))
wrk.method = "POST"
wrk.path = "/v1/chat/completions"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench-client"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\nWRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end
`,
  )
  return script
}

export function wrkRun(url: string, script: string, connections: number, seconds: number, into?: Samples): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ['-t1', `-c${connections}`, `-d${Math.max(1, Math.round(seconds))}s`, '--timeout', '10s', '-s', script, `${url}/v1/chat/completions`]
    const proc = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()))
    proc.stderr.on('data', (c: Buffer) => (out += c.toString()))
    proc.on('error', reject)
    proc.on('exit', (code) => {
      const line = /WRKJSON (\{.*\})/.exec(out)?.[1]
      if (code !== 0 || !line) {
        reject(new Error(`wrk failed (exit ${code}): ${out.trim()}`))
        return
      }
      if (into) {
        const r = JSON.parse(line) as { requests: number; duration_us: number; p50_us: number; p99_us: number; connect: number; read: number; write: number; status: number; timeout: number }
        const bad = r.connect + r.read + r.write + r.timeout
        const ok = r.requests - r.status
        into.ok += ok
        into.non2xx += r.status
        into.errors += bad
        into.seconds += r.duration_us / 1e6
        into.rounds.push({ n: ok, p50Us: r.p50_us, p99Us: r.p99_us })
      }
      resolve()
    })
  })
}
