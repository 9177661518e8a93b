// The HTTP plumbing every fake in test/servers/ shares: a server on loopback,
// port 0; each request's body read whole and parsed as JSON (a body that is not
// JSON is answered 400 before the fake sees it); and a close() that also ends
// kept-alive connections, so a test never waits on a client's idle pool.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface JsonRequest {
  method: string
  /** the path without its query string */
  path: string
  /** the request target as sent (path and query) */
  url: string
  headers: IncomingHttpHeaders
  /** the parsed body; {} when there was none */
  body: Record<string, unknown>
}

/** A request as a fake keeps it for the test to read: the target as sent (path and query). */
export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: Record<string, unknown>
}

export interface JsonServer {
  /** http://127.0.0.1:PORT */
  url: string
  close(): Promise<void>
}

export type JsonHandler = (req: JsonRequest, res: ServerResponse) => void | Promise<void>

/** `badJson`: the body of the 400 for a request body that is not JSON (each service words it its own way). */
export async function startJsonServer(handle: JsonHandler, badJson = '{"error":{"message":"bad json"}}'): Promise<JsonServer> {
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (raw += c))
    req.on('end', () => {
      let body: Record<string, unknown>
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {}
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end(badJson)
        return
      }
      const url = req.url ?? ''
      Promise.resolve(handle({ method: req.method ?? '', path: url.split('?')[0] ?? '', url, headers: req.headers, body }, res)).catch((err: unknown) => {
        // a fake that throws is a broken test: say so rather than hang the client
        if (!res.headersSent) sendJson(res, 500, { error: { message: `fake server error: ${String(err)}` } })
        else res.destroy()
      })
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body))
}

/** What a fake received, in order, and a wait until it received `n` (tests that check work done after the answer). */
export function recorder<T>(): { requests: T[]; record(r: T): void; waitFor(n: number): Promise<void> } {
  const requests: T[] = []
  const waiters: Array<{ n: number; resolve: () => void }> = []
  return {
    requests,
    record(r) {
      requests.push(r)
      for (const w of waiters.filter((w) => requests.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
    },
    waitFor: (n) => (requests.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  }
}
