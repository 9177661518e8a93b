// Users' own guardrails (`guardrail: custom`, `module: …`): the worked example
// in examples/ loads and masks through the gateway, a module path resolves
// against the config file's folder, and a module that does not exist, fails to
// import or has no check method is a start-up error naming the file — from
// createServer and from `portcullis check`.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import OpenAI from 'openai'
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load.ts'
import { createApp } from '../../src/app.ts'
import { createLogger } from '../../src/telemetry/logger.ts'
import { collect, startGateway } from '../helpers/gateway.ts'
import { runCli } from '../helpers/spawn.ts'
import { FIXTURES, fixture } from './support.ts'

const EXAMPLE = fileURLToPath(new URL('../../examples/portcullis.custom.yaml', import.meta.url))
const quiet = () => createLogger({ level: 'silent' })

const customConfig = (module: string, extra = ''): string => `model_list:
  - model_name: echo
    litellm_params:
      model: echo/echo
guardrails:
  - guardrail_name: mine
    litellm_params:
      guardrail: custom
      module: ${module}
      mode: pre_call
      default_on: true
${extra}`

describe('the worked example', () => {
  test('examples/portcullis.custom.yaml loads from its file and masks through the gateway', async () => {
    const { config } = await loadConfigFile(EXAMPLE)
    const server = await createApp(config, { logger: quiet(), storage: false })
    try {
      const url = await server.listen('127.0.0.1', 0)
      const sdk = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'sk-none', maxRetries: 0 })
      const { data, response } = await sdk.chat.completions
        .create({ model: 'echo', messages: [{ role: 'user', content: 'please Frobnicate the quux' }] })
        .withResponse()
      assert.equal(data.choices[0]?.message.content, 'echo: please ********** the ****')
      assert.equal(response.headers.get('x-portcullis-applied-guardrails'), 'banned-words')

      const chunks = await collect(await sdk.chat.completions.create({ model: 'echo', stream: true, messages: [{ role: 'user', content: 'quux and frobnicate' }] }))
      assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'echo: **** and **********')
    } finally {
      await server.shutdown(2000)
    }
  })

  test('the same config text with `file` set to its path works through startGateway', async () => {
    const gw = await startGateway(await readFile(EXAMPLE, 'utf8'), { file: EXAMPLE })
    try {
      const r = await gw.client().completions.create({ model: 'echo', prompt: 'quux!' })
      assert.equal(r.choices[0]?.text, 'echo: ****!')
    } finally {
      await gw.close()
    }
  })

  test('`portcullis check` accepts it', async () => {
    const run = await runCli(['check', '--config', EXAMPLE])
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /OK .*1 guardrail\(s\)/)
  })
})

describe('module resolution', () => {
  test('a relative module resolves against the config file folder; a default-exported Guardrail object works too', async () => {
    const gw = await startGateway(customConfig('./plain-object.ts'), { file: join(FIXTURES, 'portcullis.test.yaml') })
    try {
      const { data, response } = await gw
        .client()
        .chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'shout it' }] })
        .withResponse()
      assert.equal(data.choices[0]?.message.content, 'echo: SHOUT it')
      assert.equal(response.headers.get('x-portcullis-applied-guardrails'), 'mine', 'the configured name wins over the module\'s')
    } finally {
      await gw.close()
    }
  })
})

describe('broken modules are start-up errors naming the file', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['does not exist', join(FIXTURES, 'missing-guardrail.ts'), /does not exist/],
    ['fails to import', fixture('fails-import'), /failed to load: fails-import fixture: this module cannot be imported/],
    ['lacks both check methods', fixture('no-checks'), /neither checkInput nor checkOutput/],
    ['has a factory that throws', fixture('word'), /factory .* threw: word needs `word: …`/],
  ]

  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-guardrails-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  for (const [what, module, why] of cases) {
    test(`a module that ${what}: createServer rejects with a ConfigError at guardrails[0].litellm_params.module`, async () => {
      const loaded = parseConfig(customConfig(module), join(dir, 'config.yaml'), {})
      let thrown: unknown
      try {
        const server = await createApp(loaded.config, { logger: quiet(), lineOf: loaded.lineOf, storage: false })
        await server.shutdown(100)
      } catch (err) {
        thrown = err
      }
      assert.ok(thrown instanceof ConfigError, `a ConfigError, got ${String(thrown)}`)
      assert.equal(thrown.issues.length, 1)
      const issue = thrown.issues[0]!
      assert.equal(issue.path, 'guardrails[0].litellm_params.module')
      assert.ok(issue.message.includes(module), `the message names the file: ${issue.message}`)
      assert.match(issue.message, why)
      assert.equal(typeof issue.line, 'number', 'the YAML line is given')
    })

    test(`a module that ${what}: \`portcullis check\` exits 1 naming the path and the file`, async () => {
      const file = join(dir, `check-${what.replace(/\W+/g, '-')}.yaml`)
      await writeFile(file, customConfig(module))
      const run = await runCli(['check', '--config', file])
      assert.equal(run.code, 1, `stdout: ${run.stdout}\nstderr: ${run.stderr}`)
      assert.match(run.stderr, /guardrails\[0\]\.litellm_params\.module/)
      assert.ok(run.stderr.includes(module), run.stderr)
    })
  }

  test('every broken guardrail is reported at once', async () => {
    const text = `${customConfig(fixture('no-checks'))}  - guardrail_name: also-broken
    litellm_params:
      guardrail: custom
      module: ./nowhere.ts
      mode: post_call
`
    const loaded = parseConfig(text, join(dir, 'two.yaml'), {})
    await assert.rejects(createApp(loaded.config, { logger: quiet(), storage: false }), (err: unknown) => {
      assert.ok(err instanceof ConfigError)
      assert.deepEqual(
        err.issues.map((i) => i.path),
        ['guardrails[0].litellm_params.module', 'guardrails[1].litellm_params.module'],
      )
      assert.ok(err.issues[1]?.message.includes(join(dir, 'nowhere.ts')), 'a relative module is named by its resolved path')
      return true
    })
  })
})
