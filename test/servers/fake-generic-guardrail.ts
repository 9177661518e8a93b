// A fake LiteLLM Generic Guardrail API service for tests: a real HTTP server on
// 127.0.0.1 that records every request (headers and parsed body) and decides
// by content: any text containing "ATTACK" is BLOCKED, "secret-token" is
// replaced by "[MASKED]" (GUARDRAIL_INTERVENED, texts 1:1), anything else is
// NONE. On demand it answers a wrong number of texts, or the faults of
// service-faults.ts.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { applyFault, type Fault } from './service-faults.ts'

export const GENERIC_PATH = '/beta/litellm_basic_guardrail_api'

export interface GenericRequest {
  path: string
  headers: IncomingHttpHeaders
  body: {
    texts?: string[]
    input_type?: string
    request_data?: Record<string, unknown>
    litellm_call_id?: string
    litellm_trace_id?: string
    additional_provider_specific_params?: Record<string, unknown>
    structured_messages?: unknown[]
    tools?: unknown[]
    tool_calls?: unknown[]
    images?: string[]
    [k: string]: unknown
  }
}

export interface FakeGenericGuardrail {
  /** use as api_base */
  url: string
  requests: GenericRequest[]
  /** a fault applied to every request until cleared */
  fault: Fault | undefined
  /** faults for the next requests, in order (before `fault`) */
  faults: Fault[]
  /** GUARDRAIL_INTERVENED answers one text too many */
  wrongCount: boolean
  blockReason: string
  waitForRequests(n: number): Promise<void>
  close(): Promise<void>
}

export async function startFakeGenericGuardrail(): Promise<FakeGenericGuardrail> {
  const requests: GenericRequest[] = []
  const sockets = new Set<Socket>()
  const waiters: Array<{ n: number; resolve: () => void }> = []

  const fake: FakeGenericGuardrail = {
    url: '',
    requests,
    fault: undefined,
    faults: [],
    wrongCount: false,
    blockReason: 'jailbreak attempt detected by the fake service',
    waitForRequests: (n) => (requests.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? ''
    let body: GenericRequest['body']
    try {
      body = raw ? (JSON.parse(raw) as GenericRequest['body']) : {}
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad json"}')
      return
    }
    requests.push({ path, headers: req.headers, body })
    for (const w of waiters.filter((w) => requests.length >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve()
    }
    if (await applyFault(res, fake.faults.shift() ?? fake.fault)) return
    if (res.destroyed) return
    if (path !== GENERIC_PATH) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}')
      return
    }
    const texts = Array.isArray(body.texts) ? body.texts : []
    let out: Record<string, unknown>
    if (texts.some((t) => t.includes('ATTACK'))) out = { action: 'BLOCKED', blocked_reason: fake.blockReason }
    else if (texts.some((t) => t.includes('secret-token'))) {
      const masked = texts.map((t) => t.replaceAll('secret-token', '[MASKED]'))
      out = { action: 'GUARDRAIL_INTERVENED', texts: fake.wrongCount ? [...masked, 'extra'] : masked }
    } else out = { action: 'NONE' }
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
