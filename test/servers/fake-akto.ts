// A fake Akto guardrails service for tests: a real HTTP server on 127.0.0.1
// that records every request (headers and parsed body) and decides by content:
// a text containing "ATTACK" is not allowed, "secret-token" is modified to
// "[MASKED]", anything else is allowed. The answer's key casing is
// configurable (Akto versions differ), and so are the form of ModifiedPayload
// and the faults of service-faults.ts.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import { recorder, sendJson, startJsonServer, type JsonRequest } from './json-server.ts'
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
  const log = recorder<AktoRequest>()
  const requests = log.requests

  const fake: FakeAkto = {
    url: '',
    requests,
    fault: undefined,
    faults: [],
    casing: 'pascal',
    modifiedForm: 'query',
    modify: (text) => text.replaceAll('secret-token', '[MASKED]'),
    blockReason: 'Prompt injection detected by fake Akto',
    waitForRequests: log.waitFor,
    close: () => server.close(),
  }

  const answer = (allowed: boolean, reason: string, modified: boolean, modifiedPayload: string): Record<string, unknown> =>
    fake.casing === 'pascal'
      ? { Allowed: allowed, Reason: reason, Modified: modified, ModifiedPayload: modifiedPayload, Metadata: {} }
      : { allowed, reason, modified, modifiedPayload, metadata: {} }

  async function handle(req: JsonRequest, res: ServerResponse): Promise<void> {
    const { path, body } = req
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
    log.record(entry)
    if (await applyFault(res, fake.faults.shift() ?? fake.fault)) return
    if (res.destroyed) return
    if (path !== '/api/validate/request' && path !== '/api/validate/response') {
      return sendJson(res, 404, '{"error":"not found"}')
    }
    let out: Record<string, unknown>
    if (text.includes('ATTACK')) out = answer(false, fake.blockReason, false, '')
    else if (text.includes('secret-token')) {
      const modified = fake.modify(text)
      const payload = path === '/api/validate/request' && fake.modifiedForm === 'json' ? JSON.stringify({ ...entry.payload, query: modified }) : modified
      out = answer(true, 'Sensitive data redacted', true, payload)
    } else out = answer(true, '', false, '')
    sendJson(res, 200, out)
  }

  const server = await startJsonServer(handle, '{"error":"bad json"}')
  fake.url = server.url
  return fake
}
