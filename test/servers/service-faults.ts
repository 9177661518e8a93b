// The ways a guardrail service fails, for the fake services in test/servers/:
// each fake keeps a `fault` (or a queue of them) and calls `applyFault` before
// answering normally. `down` is a closed port: use `closedUrl()` for that.
import type { ServerResponse } from 'node:http'

export type Fault =
  | { kind: 'slow'; ms: number }
  | { kind: 'html'; status?: number }
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'truncated' }
  | { kind: 'wrong_type' }
  | { kind: 'reset' }

/** Answers the fault and returns true, or returns false when the fault only delays (slow) or there is none. */
export async function applyFault(res: ServerResponse, fault: Fault | undefined): Promise<boolean> {
  if (!fault) return false
  switch (fault.kind) {
    case 'slow':
      await new Promise((r) => setTimeout(r, fault.ms))
      return res.destroyed
    case 'html':
      res.writeHead(fault.status ?? 200, { 'content-type': 'text/html' }).end('<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>')
      return true
    case 'status':
      res.writeHead(fault.status, { 'content-type': 'application/json' }).end(fault.body ?? JSON.stringify({ error: `fake ${fault.status}` }))
      return true
    case 'truncated':
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"Allowed": tr')
      return true
    case 'wrong_type':
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
      return true
    case 'reset':
      res.socket?.destroy()
      return true
  }
}

/** A URL on 127.0.0.1 where nothing listens (a service that is down). */
export async function closedUrl(): Promise<string> {
  // Port 1 (tcpmux) on loopback: nothing listens there, and no test server can
  // take it. A port taken with listen(0) and closed again could be handed to
  // another test process's server in between, and the service "down" answered.
  return 'http://127.0.0.1:1'
}
