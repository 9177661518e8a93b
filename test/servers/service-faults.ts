// The ways a guardrail service fails, for the fake services in test/servers/:
// each fake keeps a `fault` (or a queue of them) and calls `applyFault` before
// answering normally. `down` is a closed port: use `closedUrl()` for that.
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

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
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as AddressInfo).port
  await new Promise<void>((r) => srv.close(() => r()))
  return `http://127.0.0.1:${port}`
}
