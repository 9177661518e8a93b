import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import OpenAI from 'openai'
import { startFakeOpenAI } from './servers/fake-openai.ts'
import { runCli, serveCli } from './helpers/spawn.ts'

async function configFile(yaml: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-cli-'))
  const file = join(dir, 'config.yaml')
  await writeFile(file, yaml)
  return file
}

test('--help on both commands prints usage and exits 0', async () => {
  for (const args of [['--help'], ['serve', '--help'], ['check', '--help']]) {
    const r = await runCli(args)
    assert.equal(r.code, 0, args.join(' '))
    assert.match(r.stdout, /portcullis serve .*--config FILE/)
    assert.match(r.stdout, /portcullis check --config FILE/)
  }
})

test('check: a valid config exits 0 and warns about unsupported keys', async () => {
  const file = await configFile('model_list: [{ model_name: m, litellm_params: { model: echo/echo } }]\nlitellm_settings: { success_callback: [langfuse] }\n')
  const r = await runCli(['check', '--config', file])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /OK — 1 model\(s\), 1 deployment\(s\)/)
  assert.match(r.stderr, /warning: litellm_settings\.success_callback \(line 2\): not supported/)
})

test('check: every error with its YAML path and line, exit 1', async () => {
  const file = await configFile(`model_list:
  - model_name: m
    litellm_params:
      model: openai/x
      api_key: os.environ/PORTCULLIS_TEST_UNSET
  - model_name: n
    litellm_params: { model: nope }
`)
  const r = await runCli(['check', '--config', file])
  assert.equal(r.code, 1)
  assert.match(r.stderr, /error: model_list\[0\]\.litellm_params\.api_key \(line 5\): environment variable PORTCULLIS_TEST_UNSET is not set/)
  assert.match(r.stderr, /error: model_list\[1\]\.litellm_params\.model \(line 7\): must be <provider>\/<model>/)
  assert.match(r.stderr, /2 error\(s\)/)
})

test('check: a missing file is a clear error', async () => {
  const r = await runCli(['check', '--config', '/nonexistent/portcullis.yaml'])
  assert.equal(r.code, 1)
  assert.match(r.stderr, /cannot read the config file \(ENOENT\)/)
})

test('serve refuses a config with an unset secret, naming the variable and not the others', async () => {
  const file = await configFile('model_list: [{ model_name: m, litellm_params: { model: openai/x, api_key: os.environ/PORTCULLIS_TEST_UNSET } }]\n')
  const r = await runCli(['serve', '--config', file, '--port', '0'], { OTHER_SECRET: 'sk-other-secret' })
  assert.equal(r.code, 1)
  assert.match(r.stderr, /PORTCULLIS_TEST_UNSET is not set/)
  assert.ok(!r.stderr.includes('sk-other-secret'))
})

test('serve without a master key refuses a non-loopback host', async () => {
  const r = await runCli(['serve', '--config', 'portcullis.yaml', '--host', '0.0.0.0', '--port', '0'])
  assert.equal(r.code, 1)
  assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0 without a master key/)
})

test('the default portcullis.yaml serves the echo model offline; HOST and PORT are honoured', async (t) => {
  const served = await serveCli(['--config', 'portcullis.yaml'], { HOST: '127.0.0.1', PORT: '0' })
  t.after(() => served.child.kill('SIGKILL'))
  assert.match(served.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  assert.match(served.output(), /no master_key is set, so the gateway is open/)
  const client = new OpenAI({ baseURL: `${served.url}/v1`, apiKey: 'unused', maxRetries: 0 })
  const answer = await client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'hi there' }] })
  assert.equal(answer.choices[0]?.message.content, 'echo: hi there')
})

test('with a master key, serve binds any host and requires the key', async (t) => {
  const file = await configFile('model_list: [{ model_name: echo, litellm_params: { model: echo/echo } }]\ngeneral_settings: { master_key: os.environ/MK }\n')
  const served = await serveCli(['--config', file, '--host', '127.0.0.1', '--port', '0'], { MK: 'sk-master-key-cli' })
  t.after(() => served.child.kill('SIGKILL'))
  const anon = new OpenAI({ baseURL: `${served.url}/v1`, apiKey: 'wrong', maxRetries: 0 })
  await assert.rejects(anon.models.list(), (e: unknown) => e instanceof OpenAI.AuthenticationError)
  const ok = new OpenAI({ baseURL: `${served.url}/v1`, apiKey: 'sk-master-key-cli', maxRetries: 0 })
  const models = await ok.models.list()
  assert.deepEqual(models.data.map((m) => m.id), ['echo'])
})

test('SIGTERM during a stream: the stream finishes, new connections are refused, exit code 0', async (t) => {
  const upstream = await startFakeOpenAI()
  t.after(() => upstream.close())
  upstream.fallback = { kind: 'stream', chunks: ['one ', 'two ', 'three ', 'four ', 'five'], delayMs: 150 }
  const file = await configFile(`model_list:
  - model_name: slow
    litellm_params: { model: openai/slow, api_base: "${upstream.url}", api_key: sk-x }
`)
  const served = await serveCli(['--config', file, '--port', '0'])
  t.after(() => served.child.kill('SIGKILL'))
  const client = new OpenAI({ baseURL: `${served.url}/v1`, apiKey: 'unused', maxRetries: 0 })
  const stream = await client.chat.completions.create({ model: 'slow', stream: true, messages: [{ role: 'user', content: 'count' }] })
  let text = ''
  let signalled = false
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? ''
    if (!signalled && text.length > 0) {
      signalled = true
      served.child.kill('SIGTERM')
    }
  }
  assert.equal(text, 'one two three four five', 'the in-flight stream is delivered whole')
  assert.equal(await served.exited, 0)
  await assert.rejects(fetch(`${served.url}/health/liveliness`), 'the gateway no longer accepts connections')
})

test('SIGTERM with a stream longer than shutdown_timeout: the stream is cut at the deadline, exit code 0', async (t) => {
  const upstream = await startFakeOpenAI()
  t.after(() => upstream.close())
  upstream.fallback = { kind: 'stream', chunks: Array.from({ length: 100 }, (_, i) => `w${i} `), delayMs: 100 }
  const file = await configFile(`model_list:
  - model_name: slow
    litellm_params: { model: openai/slow, api_base: "${upstream.url}", api_key: sk-x }
general_settings: { shutdown_timeout: 0.5 }
`)
  const served = await serveCli(['--config', file, '--port', '0'])
  t.after(() => served.child.kill('SIGKILL'))
  const client = new OpenAI({ baseURL: `${served.url}/v1`, apiKey: 'unused', maxRetries: 0 })
  const stream = await client.chat.completions.create({ model: 'slow', stream: true, messages: [{ role: 'user', content: 'go' }] })
  let chunks = 0
  await assert.rejects(
    (async () => {
      for await (const _ of stream) {
        if (++chunks === 2) served.child.kill('SIGTERM')
      }
    })(),
    'the client sees the stream cut, not a clean end',
  )
  assert.ok(chunks < 100, `stream was cut (got ${chunks} chunks)`)
  assert.equal(await served.exited, 0)
  // the cut stream's upstream call was cancelled, not left running
  for (let i = 0; i < 50 && upstream.aborted === 0; i++) await new Promise((r) => setTimeout(r, 20))
  assert.equal(upstream.aborted, 1)
})
