// A fake LiteLLM Generic Guardrail API service for tests: a real HTTP server on
// 127.0.0.1 that records every request (headers and parsed body) and decides
// by content: any text containing "ATTACK" is BLOCKED, "secret-token" is
// replaced by "[MASKED]" (GUARDRAIL_INTERVENED, texts 1:1), anything else is
// NONE. On demand it answers a wrong number of texts, or the faults of
// service-faults.ts.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import { recorder, sendJson, startJsonServer, type JsonRequest } from './json-server.ts'
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
  const log = recorder<GenericRequest>()
  const requests = log.requests

  const fake: FakeGenericGuardrail = {
    url: '',
    requests,
    fault: undefined,
    faults: [],
    wrongCount: false,
    blockReason: 'jailbreak attempt detected by the fake service',
    waitForRequests: log.waitFor,
    close: () => server.close(),
  }

  async function handle(req: JsonRequest, res: ServerResponse): Promise<void> {
    const path = req.path
    const body = req.body as GenericRequest['body']
    log.record({ path, headers: req.headers, body })
    if (await applyFault(res, fake.faults.shift() ?? fake.fault)) return
    if (res.destroyed) return
    if (path !== GENERIC_PATH) {
      return sendJson(res, 404, '{"error":"not found"}')
    }
    const texts = Array.isArray(body.texts) ? body.texts : []
    let out: Record<string, unknown>
    if (texts.some((t) => t.includes('ATTACK'))) out = { action: 'BLOCKED', blocked_reason: fake.blockReason }
    else if (texts.some((t) => t.includes('secret-token'))) {
      const masked = texts.map((t) => t.replaceAll('secret-token', '[MASKED]'))
      out = { action: 'GUARDRAIL_INTERVENED', texts: fake.wrongCount ? [...masked, 'extra'] : masked }
    } else out = { action: 'NONE' }
    sendJson(res, 200, out)
  }

  const server = await startJsonServer(handle, '{"error":"bad json"}')
  fake.url = server.url
  return fake
}
