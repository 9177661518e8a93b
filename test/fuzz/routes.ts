// The fuzzed routes: one row per route, each a generator of whole requests
// (method, path and query, caller, headers, body on the wire). A new route is
// one more row: its body generator, and whether its answers are call records.
import fc from 'fast-check'
import { deepNesting, headerValue, hostileJson, hostileNumber, hostileString, longRun, mangled, queryValue, toWire } from './arbitraries.ts'

/** Who calls: the target's master key, its virtual key, nobody, or a given Authorization header. */
export type Caller = 'master' | 'key' | 'none' | { header: string }

/** One request as sent (and as kept in the corpus): the body is its exact wire text, or bytes in base64. */
export interface FuzzRequest {
  method: string
  /** path and query string */
  path: string
  auth: Caller
  headers: Record<string, string>
  body?: string
  bodyBase64?: string
}

export interface FuzzRoute {
  name: string
  /** its answers are call records (chat, completions, embeddings): each must reach the database */
  recorded: boolean
  request: fc.Arbitrary<FuzzRequest>
  /** generated requests per run of the suite */
  runs: number
}

/** The models of the fuzz target (harness.ts): the echo model, a healthy upstream, an unreachable one. */
export const MODELS = ['echo', 'gpt', 'down'] as const
/** The guardrails of the fuzz target. */
export const GUARDRAILS = ['pii', 'injection', 'limit'] as const

const caller: fc.Arbitrary<Caller> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Caller>('master') },
  { weight: 3, arbitrary: fc.constant<Caller>('key') },
  { weight: 1, arbitrary: fc.constant<Caller>('none') },
  { weight: 1, arbitrary: headerValue.map((v): Caller => ({ header: v })) },
  { weight: 1, arbitrary: headerValue.map((v): Caller => ({ header: `Bearer ${v}` })) },
)

const headers: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    // a shared value: two calls naming the same id must still be two records
    'x-request-id': fc.oneof(fc.constant('fuzz-shared-id'), headerValue),
    'content-type': fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16le', 'application/octet-stream', 'multipart/form-data; boundary=x', 'application/jsonx'),
    accept: fc.constantFrom('application/json', 'text/event-stream', '*/*', 'text/html'),
    'x-litellm-api-key': headerValue,
    'anthropic-version': fc.constantFrom('2023-06-01', 'x'),
    'x-forwarded-for': headerValue,
  },
  { requiredKeys: [] },
)

const model = fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...MODELS) }, { weight: 1, arbitrary: hostileString(20) }, { weight: 1, arbitrary: hostileJson })

/** A body on the wire: usually the generated JSON, sometimes cut short, another JSON value, bytes, or nothing. */
function framed(body: fc.Arbitrary<unknown>): fc.Arbitrary<{ body?: string; bodyBase64?: string }> {
  return fc.oneof(
    { weight: 14, arbitrary: body.map((b) => ({ body: toWire(b) })) },
    { weight: 1, arbitrary: fc.tuple(body, fc.double({ min: 0, max: 1, noNaN: true })).map(([b, at]) => { const w = toWire(b); return { body: w.slice(0, Math.floor(w.length * at)) } }) },
    { weight: 1, arbitrary: hostileJson.map((v) => ({ body: toWire(v) })) },
    {
      weight: 1,
      // bytes that are not UTF-8, inside an otherwise valid body
      arbitrary: fc.tuple(body, fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([b, bytes]) => {
        const w = Buffer.from(toWire(b))
        const at = Math.floor(w.length / 2)
        return { bodyBase64: Buffer.concat([w.subarray(0, at), Buffer.from(bytes), w.subarray(at)]).toString('base64') }
      }),
    },
    { weight: 1, arbitrary: fc.constant({}) },
  )
}

function post(path: fc.Arbitrary<string>, body: fc.Arbitrary<unknown>, auth = caller): fc.Arbitrary<FuzzRequest> {
  return fc.record({ path, auth, headers, framing: framed(body) }).map(({ framing, ...r }) => ({ method: 'POST', ...r, ...framing }))
}

function get(path: fc.Arbitrary<string>, auth = caller): fc.Arbitrary<FuzzRequest> {
  return fc.record({ path, auth, headers }).map((r) => ({ method: 'GET', ...r }))
}

/** `base` or its /v1-less twin, with now and then a query string, or one too long for any header limit. */
const at = (base: string): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom(base, base.replace(/^\/v1/, '')), fc.oneof({ weight: 8, arbitrary: fc.constant('') }, { weight: 1, arbitrary: queryValue.map((v) => `?x=${v}`) }, { weight: 1, arbitrary: fc.constant(`?q=${'x'.repeat(20_000)}`) }))
    .map(([p, q]) => p + q)

/** A query string of some of `names`, each with a hostile value. */
const query = (base: string, names: readonly string[]): fc.Arbitrary<string> =>
  fc.dictionary(fc.constantFrom(...names), queryValue, { maxKeys: names.length }).map((q) => {
    const s = Object.entries(q).map(([k, v]) => `${k}=${v}`).join('&')
    return s ? `${base}?${s}` : base
  })

const text = hostileString(60)

const contentPart = fc.oneof(
  fc.record({ type: fc.constant('text'), text }),
  fc.record({ type: fc.constant('image_url'), image_url: fc.record({ url: fc.oneof(fc.constant('data:image/png;base64,iVBORw0KGgo='), hostileString()), detail: fc.constantFrom('auto', 'low', 'high') }, { requiredKeys: ['url'] }) }),
  fc.record({ type: fc.constant('input_audio'), input_audio: fc.record({ data: hostileString(), format: fc.constantFrom('wav', 'mp3') }) }),
  fc.record({ type: fc.constant('file'), file: fc.record({ file_data: hostileString(), filename: hostileString() }) }),
  fc.record({ type: fc.constant('refusal'), refusal: text }),
  fc.record({ type: hostileString(12), text: hostileJson }),
  hostileJson,
)

const toolCall = fc.record({
  id: hostileString(12),
  type: fc.constantFrom('function', 'custom'),
  function: fc.record({ name: hostileString(12), arguments: fc.oneof(hostileString(), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v))) }),
})

const message = fc.record(
  {
    role: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool', 'function') }, { weight: 1, arbitrary: hostileString(10) }),
    content: fc.oneof({ weight: 4, arbitrary: text }, { weight: 2, arbitrary: fc.array(contentPart, { maxLength: 4 }) }, fc.constant(null), hostileJson),
    name: hostileString(12),
    tool_calls: fc.array(toolCall, { maxLength: 2 }),
    tool_call_id: hostileString(12),
  },
  { requiredKeys: ['role'] },
)

/** Fields every generation call may carry: limits, sampling, the gateway's own, and anything else. */
const common = {
  model,
  stream: fc.oneof({ weight: 3, arbitrary: fc.boolean() }, { weight: 1, arbitrary: hostileJson }),
  stream_options: fc.oneof(fc.record({ include_usage: fc.boolean() }), hostileJson),
  max_tokens: fc.oneof(fc.integer({ min: 1, max: 50 }), hostileNumber),
  n: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: hostileNumber }),
  temperature: hostileNumber,
  top_p: hostileNumber,
  seed: hostileNumber,
  stop: fc.oneof(hostileString(), fc.array(hostileString(8), { maxLength: 5 }), hostileJson),
  user: hostileString(),
  guardrails: fc.oneof(fc.array(fc.constantFrom(...GUARDRAILS, 'nope'), { maxLength: 3 }), fc.dictionary(fc.constantFrom(...GUARDRAILS), fc.oneof(fc.boolean(), hostileJson)), hostileJson),
  disable_global_guardrails: fc.oneof(fc.boolean(), hostileJson),
  metadata: fc.oneof(fc.record({ guardrails: fc.array(fc.constantFrom(...GUARDRAILS)), hlido_slugs: fc.array(hostileString(10)), tags: hostileJson }, { requiredKeys: [] }), hostileJson),
  store: fc.boolean(),
  logit_bias: hostileJson,
  unknown_field: fc.oneof(hostileJson, deepNesting),
}

const chat = mangled(
  fc.record(
    {
      ...common,
      messages: fc.oneof({ weight: 10, arbitrary: fc.array(message, { minLength: 1, maxLength: 4 }) }, { weight: 1, arbitrary: hostileJson }),
      max_completion_tokens: hostileNumber,
      tools: fc.array(fc.record({ type: fc.constantFrom('function', 'web_search'), function: fc.record({ name: hostileString(12), parameters: hostileJson }, { requiredKeys: ['name'] }) }, { requiredKeys: ['type'] }), { maxLength: 2 }),
      tool_choice: hostileJson,
      response_format: fc.oneof(fc.record({ type: fc.constantFrom('json_object', 'text', 'json_schema'), json_schema: hostileJson }, { requiredKeys: ['type'] }), hostileJson),
    },
    { requiredKeys: ['model', 'messages'] },
  ),
)

const prompt = fc.oneof(text, fc.array(text, { maxLength: 4 }), fc.array(fc.integer(), { maxLength: 8 }), fc.array(fc.array(fc.integer(), { maxLength: 4 }), { maxLength: 3 }), hostileJson, longRun)

const completion = mangled(fc.record({ ...common, prompt, suffix: hostileString(), echo: fc.boolean(), logprobs: hostileNumber }, { requiredKeys: ['model', 'prompt'] }))

const embedding = mangled(
  fc.record(
    { model, input: prompt, encoding_format: fc.oneof(fc.constantFrom('float', 'base64'), hostileString(8)), dimensions: fc.oneof(fc.integer({ min: 1, max: 64 }), hostileNumber), user: hostileString() },
    { requiredKeys: ['model', 'input'] },
  ),
)

const duration = fc.oneof(fc.constantFrom('30s', '15m', '12h', '7d', '1mo', '0s', '99999999999mo', '-1d', '1y', '1.5h', ''), hostileString(12))

const keyFields = {
  models: fc.oneof(fc.array(fc.constantFrom(...MODELS), { maxLength: 2 }), fc.array(hostileString(10), { maxLength: 2 }), hostileJson),
  guardrails: fc.oneof(fc.array(fc.constantFrom(...GUARDRAILS), { maxLength: 2 }), hostileJson),
  metadata: fc.oneof(fc.dictionary(hostileString(10), hostileJson, { maxKeys: 3 }), fc.record({ hlido_slugs: fc.array(hostileString(10)) }), deepNesting, hostileJson),
  max_budget: fc.oneof(fc.constant(null), hostileNumber),
  budget_duration: fc.oneof(fc.constant(null), duration),
  rpm_limit: fc.oneof(fc.constant(null), hostileNumber),
  tpm_limit: fc.oneof(fc.constant(null), hostileNumber),
  duration: fc.oneof(fc.constant(null), duration),
  key_alias: fc.oneof(fc.constant(null), hostileString()),
  team_id: fc.oneof(fc.constant(null), hostileString()),
}

/** A key named by the target's throwaway key (`$VICTIM`, replaced when sent), a made-up one, a hash or anything. */
const keyRef = fc.oneof(fc.constantFrom('$VICTIM', '$VICTIM_HASH'), hostileString(), fc.stringMatching(/^[0-9a-f]{64}$/), hostileJson)

export const ROUTES: readonly FuzzRoute[] = [
  { name: 'chat', recorded: true, runs: 300, request: post(at('/v1/chat/completions'), chat) },
  { name: 'completions', recorded: true, runs: 120, request: post(at('/v1/completions'), completion) },
  { name: 'embeddings', recorded: true, runs: 100, request: post(at('/v1/embeddings'), embedding) },
  { name: 'models', recorded: false, runs: 40, request: get(fc.oneof(at('/v1/models'), hostileString(20).map((id) => `/v1/models/${encodeURIComponent(id.toWellFormed())}`))) },
  { name: 'key_generate', recorded: false, runs: 80, request: post(fc.constant('/key/generate'), mangled(fc.record(keyFields, { requiredKeys: [] }))) },
  { name: 'key_update', recorded: false, runs: 60, request: post(fc.constant('/key/update'), mangled(fc.record({ key: keyRef, ...keyFields }, { requiredKeys: ['key'] }))) },
  { name: 'key_delete', recorded: false, runs: 30, request: post(fc.constant('/key/delete'), fc.record({ keys: fc.oneof(fc.array(keyRef, { maxLength: 3 }), hostileJson), key_aliases: fc.oneof(fc.array(hostileString(), { maxLength: 3 }), hostileJson) }, { requiredKeys: [] })) },
  { name: 'key_info', recorded: false, runs: 30, request: get(query('/key/info', ['key'])) },
  { name: 'key_list', recorded: false, runs: 30, request: get(query('/key/list', ['page', 'size', 'return_full_object'])) },
  { name: 'spend_logs', recorded: false, runs: 60, request: get(query('/spend/logs', ['request_id', 'client_request_id', 'api_key', 'key_alias', 'model', 'start_date', 'end_date', 'limit'])) },
  { name: 'guardrails', recorded: false, runs: 60, request: fc.oneof(get(fc.constant('/guardrails/list')), post(fc.constant('/guardrails/apply_guardrail'), mangled(fc.record({ guardrail_name: fc.oneof(fc.constantFrom(...GUARDRAILS), hostileString(12)), text: fc.oneof(text, hostileJson) }, { requiredKeys: [] })))) },
  { name: 'ops', recorded: false, runs: 20, request: get(fc.constantFrom('/health/liveliness', '/health/liveness', '/health/readiness', '/metrics')) },
  {
    name: 'unknown',
    recorded: false,
    runs: 40,
    request: fc
      .record({ method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), path: fc.oneof(hostileString(30).map((p) => '/' + encodeURIComponent(p.toWellFormed())), fc.constantFrom('/v1', '/v1/', '//v1/chat/completions', '/v1/chat/completions/', '/V1/CHAT/COMPLETIONS', '/%2e%2e/key/list', '/v1/responses', '/v1/messages')), auth: caller, headers, body: fc.option(hostileJson.map(toWire), { nil: undefined }) })
      .map((r) => (r.body === undefined || r.method === 'GET' || r.method === 'OPTIONS' ? { method: r.method, path: r.path, auth: r.auth, headers: r.headers } : { ...r, body: r.body })),
  },
]
