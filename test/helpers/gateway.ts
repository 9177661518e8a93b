// Starts a real gateway on 127.0.0.1, port 0, from a YAML config text, with its
// logs captured in memory, and hands out official OpenAI SDK clients for it;
// plus the scaffolding the gateway tests share: config snippets, fakes and
// gateways closed when a test ends, and calls and failures read through the SDK.
import assert from 'node:assert/strict'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { after, before, type TestContext } from 'node:test'
import OpenAI, { APIError } from 'openai'
import { parseConfig, type LoadResult } from '../../src/config/load.ts'
import { createApp, type App } from '../../src/app.ts'
import { createLogger } from '../../src/telemetry/logger.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../servers/fake-openai.ts'

export interface TestGateway {
  /** http://127.0.0.1:PORT */
  url: string
  /** url + /v1, for the SDK */
  baseURL: string
  server: App
  loaded: LoadResult
  /** every log line the gateway wrote */
  logs: string[]
  client(apiKey?: string): OpenAI
  close(): Promise<void>
}

/**
 * `storage`: where records and keys live (a temp folder per test). Off by default:
 * each embedded database costs ~200 MB, and most tests are about other things.
 */
export async function startGateway(yaml: string, opts: { env?: NodeJS.ProcessEnv; file?: string; storage?: { dataDir: string } } = {}): Promise<TestGateway> {
  const loaded = parseConfig(yaml, opts.file ?? `${process.cwd()}/test-config.yaml`, opts.env ?? {})
  const logs: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean))
      cb()
    },
  })
  const server = await createApp(loaded.config, { logger: createLogger({ level: 'debug', destination }), lineOf: loaded.lineOf, storage: opts.storage ?? false })
  const url = await server.listen('127.0.0.1', 0)
  return {
    url,
    baseURL: `${url}/v1`,
    server,
    loaded,
    logs,
    client: (apiKey = 'sk-test-client') => new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0, timeout: 20_000 }),
    close: () => server.shutdown(2_000),
  }
}

/** A model_list entry pointing at a fake upstream. */
export function openaiModel(name: string, apiBase: string, extra = ''): string {
  return `  - model_name: ${name}
    litellm_params:
      model: openai/${name}-upstream
      api_base: ${apiBase}
      api_key: sk-deployment-secret-${name}
${extra}`
}

/** A model_list entry for the built-in echo model. */
export const echoModel = (name = 'echo'): string => `  - model_name: ${name}
    litellm_params:
      model: echo/echo
`

/** A deployment of group `group` on `apiBase` with model_info id `id`, after the litellm_params lines `params`. */
export const deployment = (id: string, apiBase: string, params = '', group = 'm'): string =>
  openaiModel(group, apiBase, `${params}    model_info:\n      id: ${id}\n`)

/** Fake OpenAI upstreams, one per name, closed when the test ends (before a gateway started after them). */
export async function useFakes<N extends string[]>(t: TestContext, ...names: N): Promise<{ [K in keyof N]: FakeOpenAI }> {
  const fakes = await Promise.all(names.map((name) => startFakeOpenAI({ name })))
  t.after(() => Promise.all(fakes.map((f) => f.close())))
  return fakes as { [K in keyof N]: FakeOpenAI }
}

/** A fake service started by `start`, closed when the test ends. */
export async function useServer<S extends { close(): Promise<unknown> }>(t: TestContext, start: () => Promise<S>): Promise<S> {
  const server = await start()
  t.after(() => server.close())
  return server
}

/** A gateway on the YAML config `yaml`, closed when the test ends. */
export async function useGateway(t: TestContext, yaml: string): Promise<TestGateway> {
  const gw = await startGateway(yaml)
  t.after(() => gw.close())
  return gw
}

/**
 * A fake OpenAI upstream `fake`, a gateway `gw` and an SDK client `sdk` for it, shared by a file's tests:
 * started in one `before` (a file's `before` hooks run side by side), closed in `after`; read them inside
 * tests. The gateway serves `echo`, `gpt` on the fake and `await models(fake.url)` (which may start the
 * upstreams it names) with no retries, then the top-level YAML `sections`.
 */
export function useSharedGateway(
  config: { models?: (fakeUrl: string) => string | Promise<string>; sections?: string } = {},
): { readonly fake: FakeOpenAI; readonly gw: TestGateway; readonly sdk: OpenAI } {
  const shared = {} as { fake: FakeOpenAI; gw: TestGateway; sdk: OpenAI }
  before(async () => {
    shared.fake = await startFakeOpenAI({ name: 'fake' })
    const models = `${echoModel()}${openaiModel('gpt', shared.fake.url)}${(await config.models?.(shared.fake.url)) ?? ''}`
    shared.gw = await startGateway(`model_list:\n${models}router_settings:\n  num_retries: 0\n${config.sections ?? ''}`)
    shared.sdk = shared.gw.client()
  })
  after(async () => {
    await shared.gw.close()
    await shared.fake.close()
  })
  return shared
}

/** A base URL on 127.0.0.1 where nothing listens. */
export async function unreachableBaseURL(): Promise<string> {
  const srv = createNetServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const { port } = srv.address() as AddressInfo
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return `http://127.0.0.1:${port}/v1`
}

/** What a chat call answered, and the routing headers the gateway set on it. */
export interface ChatAnswer {
  text: string | null | undefined
  deployment: string | null
  group: string | null
  attempts: number
}

const routing = (headers: Headers): Omit<ChatAnswer, 'text'> => ({
  deployment: headers.get('x-portcullis-deployment'),
  group: headers.get('x-portcullis-model-group'),
  attempts: Number(headers.get('x-portcullis-attempts')),
})

/** One chat completion from `model` through `gw`, with one user message. */
export async function askChat(gw: TestGateway, model: string, content = 'hi'): Promise<ChatAnswer> {
  const { data, response } = await gw
    .client()
    .chat.completions.create({ model, messages: [{ role: 'user', content }] })
    .withResponse()
  return { text: data.choices[0]?.message.content, ...routing(response.headers) }
}

/** The same call streamed: `text` is the content of all its chunks. */
export async function askChatStream(gw: TestGateway, model: string, content = 'hi'): Promise<ChatAnswer> {
  const { data, response } = await gw
    .client()
    .chat.completions.create({ model, messages: [{ role: 'user', content }], stream: true })
    .withResponse()
  let text = ''
  for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? ''
  return { text, ...routing(response.headers) }
}

/** The OpenAI `APIError` that `call` fails with; fails the test if it succeeds, rethrows any other error. */
export async function apiFailure(call: Promise<unknown>): Promise<APIError> {
  try {
    await call
  } catch (err) {
    if (err instanceof APIError) return err
    throw err
  }
  return assert.fail('expected the call to fail')
}

/** The message of an OpenAI error body; asserts there is one. */
export function messageOf(err: APIError): string {
  const m = (err.error as { message?: unknown } | undefined)?.message
  assert.equal(typeof m, 'string', 'the error has a message')
  return m as string
}

/** Every item of an async iterable (a stream), in order. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}
