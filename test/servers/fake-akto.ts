// A fake Akto guardrails service for tests: a real HTTP server on 127.0.0.1
// that records every request (headers and parsed body) and decides by content:
// a text containing "ATTACK" is not allowed, "secret-token" is modified to
// "[MASKED]", anything else is allowed. The answer's key casing is
// configurable (Akto versions differ), and so are the form of ModifiedPayload
// and the faults of service-faults.ts.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { applyFault, type Fault } from './service-faults.ts'

export interface AktoRequest {
  path: string
  headers: IncomingHttpHeaders
  /** the parsed JSON body */
  body: Record<string, unknown>
  /** the request check's payload parsed (`{query, model}`), for convenience */
  payload?: { query?: unknown; model?: unknown; [k: string]: unknown }
}

export interface FakeAkto {
  /** use as api_base */
  url: string
  requests: AktoRequest[]
  /** a fault applied to every request until cleared */
  fault: Fault | undefined
  /** faults for the next requests, in order (before `fault`) */
  faults: Fault[]
  /** `pascal`: Allowed/Reason/Modified/ModifiedPayload (default); `camel`: allowed/reason/… */
  casing: 'pascal' | 'camel'
  /** ModifiedPayload of a request check: the modified query (default) or the JSON of `{query, model}` as sent */
  modifiedForm: 'query' | 'json'
  /** how a text with "secret-token" is modified (default: replace it with "[MASKED]") */
  modify: (text: string) => string
  /** the Reason of a block */
  blockReason: string
  waitForRequests(n: number): Promise<void>
  close(): Promise<void>
}

export async function startFakeAkto(): Promise<FakeAkto> {
  const requests: AktoRequest[] = []
  const sockets = new Set<Socket>()
  const waiters: Array<{ n: number; resolve: () => void }> = []

  const fake: FakeAkto = {
    url: '',
    requests,
    fault: undefined,
    faults: [],
    casing: 'pascal',
    modifiedForm: 'query',
    modify: (text) => text.replaceAll('secret-token', '[MASKED]'),
    blockReason: 'Prompt injection detected by fake Akto',
    waitForRequests: (n) => (requests.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }

  const answer = (allowed: boolean, reason: string, modified: boolean, modifiedPayload: string): Record<string, unknown> =>
    fake.casing === 'pascal'
      ? { Allowed: allowed, Reason: reason, Modified: modified, ModifiedPayload: modifiedPayload, Metadata: {} }
      : { allowed, reason, modified, modifiedPayload, metadata: {} }

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? ''
    let body: Record<string, unknown> = {}
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {}
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad json"}')
      return
    }
    const entry: AktoRequest = { path, headers: req.headers, body }
    let text = typeof body.payload === 'string' ? body.payload : ''
    if (path === '/api/validate/request') {
      try {
        entry.payload = JSON.parse(text) as AktoRequest['payload']
        text = typeof entry.payload?.query === 'string' ? entry.payload.query : ''
      } catch {
        text = ''
      }
    }
    requests.push(entry)
    for (const w of waiters.filter((w) => requests.length >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve()
    }
    if (await applyFault(res, fake.faults.shift() ?? fake.fault)) return
    if (res.destroyed) return
    if (path !== '/api/validate/request' && path !== '/api/validate/response') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}')
      return
    }
    let out: Record<string, unknown>
    if (text.includes('ATTACK')) out = answer(false, fake.blockReason, false, '')
    else if (text.includes('secret-token')) {
      const modified = fake.modify(text)
      const payload = path === '/api/validate/request' && fake.modifiedForm === 'json' ? JSON.stringify({ ...entry.payload, query: modified }) : modified
      out = answer(true, 'Sensitive data redacted', true, payload)
    } else out = answer(true, '', false, '')
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out))
  }

  const server = createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (raw += c))
    req.on('end', () => void handle(req, res, raw))
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return fake
}
