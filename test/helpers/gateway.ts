// Starts a real gateway on 127.0.0.1, port 0, from a YAML config text, with its
// logs captured in memory, and hands out official OpenAI SDK clients for it.
import { Writable } from 'node:stream'
import OpenAI from 'openai'
import { parseConfig, type LoadResult } from '../../src/config/load.ts'
import { createServer, type PortcullisServer } from '../../src/http/server.ts'
import { createLogger } from '../../src/telemetry/logger.ts'

export interface TestGateway {
  /** http://127.0.0.1:PORT */
  url: string
  /** url + /v1, for the SDK */
  baseURL: string
  server: PortcullisServer
  loaded: LoadResult
  /** every log line the gateway wrote */
  logs: string[]
  client(apiKey?: string): OpenAI
  close(): Promise<void>
}

export async function startGateway(yaml: string, opts: { env?: NodeJS.ProcessEnv; file?: string } = {}): Promise<TestGateway> {
  const loaded = parseConfig(yaml, opts.file ?? `${process.cwd()}/test-config.yaml`, opts.env ?? {})
  const logs: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean))
      cb()
    },
  })
  const server = await createServer(loaded.config, { logger: createLogger({ level: 'debug', destination }) })
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
