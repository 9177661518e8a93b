// Fallbacks to other model groups through a real gateway: when they are used
// (after the group's retries, at once for an unaffordable Retry-After, for
// auth failures), when they are not (the client's own 400), in which order,
// from both config sections, and for streams.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { APIError } from 'openai'
import { openaiModel, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { startFakeOpenAI, type FakeOpenAI } from '../servers/fake-openai.ts'

async function fakes(t: TestContext, ...names: string[]): Promise<FakeOpenAI[]> {
  const out = await Promise.all(names.map((name) => startFakeOpenAI({ name })))
  t.after(() => Promise.all(out.map((f) => f.close())))
  return out
}

async function gateway(t: TestContext, yaml: string): Promise<TestGateway> {
  const gw = await startGateway(yaml)
  t.after(() => gw.close())
  return gw
}

async function ask(gw: TestGateway, model: string, content = 'hi') {
  const { data, response } = await gw
    .client()
    .chat.completions.create({ model, messages: [{ role: 'user', content }] })
    .withResponse()
  return {
    text: data.choices[0]?.message.content,
    deployment: response.headers.get('x-portcullis-deployment'),
    group: response.headers.get('x-portcullis-model-group'),
    attempts: Number(response.headers.get('x-portcullis-attempts')),
  }
}

async function failure(p: Promise<unknown>): Promise<APIError> {
  try {
    await p
  } catch (err) {
    if (err instanceof APIError) return err
    throw err
  }
  return assert.fail('expected the call to fail')
}

const messageOf = (err: APIError): string | undefined => (err.error as { message?: string } | undefined)?.message

test('router_settings.fallbacks: after the primary group’s retries the fallback group answers', async (t) => {
  const [primary, backup] = await fakes(t, 'primary', 'backup')
  primary!.fallback = { kind: 'status', status: 500 }
  const gw = await gateway(
    t,
    `model_list:
${openaiModel('primary', primary!.url)}${openaiModel('backup', backup!.url)}router_settings:
  num_retries: 1
  retry_after: 0
  fallbacks:
    - primary: [backup]
`,
  )

  const res = await ask(gw, 'primary', 'hello')
  assert.equal(res.text, 'backup: hello')
  assert.equal(res.group, 'backup')
  assert.equal(res.deployment, 'backup#1')
  assert.equal(res.attempts, 3)
  assert.equal(primary!.requests.length, 2)
  // the fallback gets the client's request under its own upstream model name
  assert.equal(backup!.requests.length, 1)
  assert.equal(backup!.requests[0]?.body.model, 'backup-upstream')
  assert.deepEqual(backup!.requests[0]?.body.messages, [{ role: 'user', content: 'hello' }])
})

test('litellm_settings.fallbacks work the same way', async (t) => {
  const [primary, backup] = await fakes(t, 'primary', 'backup')
  primary!.fallback = { kind: 'status', status: 503 }
  const gw = await gateway(
    t,
    `model_list:
${openaiModel('primary', primary!.url)}${openaiModel('backup', backup!.url)}litellm_settings:
  num_retries: 0
  fallbacks:
    - primary: backup
`,
  )

  const res = await ask(gw, 'primary')
  assert.equal(res.text, 'backup: hi')
  assert.equal(res.group, 'backup')
  assert.equal(res.attempts, 2)
})

test('fallbacks are tried in their listed order until one answers', async (t) => {
  const [primary, second, third] = await fakes(t, 'primary', 'second', 'third')
  primary!.fallback = { kind: 'status', status: 500 }
  second!.fallback = { kind: 'status', status: 502 }
  const gw = await gateway(
    t,
    `model_list:
${openaiModel('primary', primary!.url)}${openaiModel('second', second!.url)}${openaiModel('third', third!.url)}router_settings:
  num_retries: 0
  fallbacks:
    - primary: [second, third]
`,
  )

  const res = await ask(gw, 'primary')
  assert.equal(res.text, 'third: hi')
  assert.equal(res.group, 'third')
  assert.equal(res.attempts, 3)
  assert.equal(primary!.requests.length, 1)
  assert.equal(second!.requests.length, 1)
})

test('a fallback group is not used for a model that does not list it', async (t) => {
  const [primary, other, backup] = await fakes(t, 'primary', 'other', 'backup')
  other!.fallback = { kind: 'status', status: 500, body: { error: { message: 'other is down', type: 'server_error' } } }
  const gw = await gateway(
    t,
    `model_list:
${openaiModel('primary', primary!.url)}${openaiModel('other', other!.url)}${openaiModel('backup', backup!.url)}router_settings:
  num_retries: 0
  fallbacks:
    - primary: [backup]
`,
  )

  const err = await failure(ask(gw, 'other'))
  assert.equal(err.status, 500)
  assert.equal(messageOf(err), 'other is down')
  assert.equal(backup!.requests.length, 0)
})

test('a Retry-After longer than max_retry_after sends the call to the fallback at once', async (t) => {
  const [primary, backup] = await fakes(t, 'primary', 'backup')
  primary!.fallback = { kind: 'status', status: 429, headers: { 'retry-after': '60' } }
  const gw = await gateway(
    t,
    `model_list:
${openaiModel('primary', primary!.url)}${openaiModel('backup', backup!.url)}router_settings:
  num_retries: 3
  fallbacks:
    - primary: [backup]
`,
  )

  const started = performance.now()
  const res = await ask(gw, 'primary')
  assert.ok(performance.now() - started < 5_000, 'the 60 s Retry-After was not waited for')
  assert.equal(res.group, 'backup')
  assert.equal(primary!.requests.length, 1)
})

test('a 401 from the primary (bad deployment key) goes to the fallback without a retry', async (t) => {
  const [primary, backup] = await fakes(t, 'primary', 'backup')
  primary!.fallback = { kind: 'status', status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } } }
  const gw = await gateway(
    t,
    `model_list:
${openaiModel('primary', primary!.url)}${openaiModel('backup', backup!.url)}router_settings:
  num_retries: 2
  fallbacks:
    - primary: [backup]
`,
  )

  const res = await ask(gw, 'primary')
  assert.equal(res.group, 'backup')
  assert.equal(res.attempts, 2)
  assert.equal(primary!.requests.length, 1)
})

test('a 400 (the client’s own mistake) is not sent to the fallback', async (t) => {
  const [primary, backup] = await fakes(t, 'primary', 'backup')
  primary!.fallback = { kind: 'status', status: 400, body: { error: { message: 'Invalid value for temperature', type: 'invalid_request_error', param: 'temperature' } } }
  const gw = await gateway(
    t,
    `model_list:
${openaiModel('primary', primary!.url)}${openaiModel('backup', backup!.url)}router_settings:
  fallbacks:
    - primary: [backup]
`,
  )

  const err = await failure(ask(gw, 'primary'))
  assert.equal(err.status, 400)
  assert.equal(messageOf(err), 'Invalid value for temperature')
  assert.equal(err.param, 'temperature')
  assert.equal(primary!.requests.length, 1)
  assert.equal(backup!.requests.length, 0)
})

test('when the fallback fails too, the client gets the fallback’s error with its status', async (t) => {
  const [primary, backup] = await fakes(t, 'primary', 'backup')
  primary!.fallback = { kind: 'status', status: 500 }
  backup!.fallback = { kind: 'status', status: 503, body: { error: { message: 'backup overloaded', type: 'server_error' } } }
  const gw = await gateway(
    t,
    `model_list:
${openaiModel('primary', primary!.url)}${openaiModel('backup', backup!.url)}router_settings:
  num_retries: 0
  fallbacks:
    - primary: [backup]
`,
  )

  const err = await failure(ask(gw, 'primary'))
  assert.equal(err.status, 503)
  assert.equal(messageOf(err), 'backup overloaded')
  assert.equal(primary!.requests.length, 1)
  assert.equal(backup!.requests.length, 1)
})

test('an unreachable primary falls back', async (t) => {
  const [backup] = await fakes(t, 'backup')
  const gone = await startFakeOpenAI({ name: 'gone' })
  const goneUrl = gone.url
  await gone.close()
  const gw = await gateway(
    t,
    `model_list:
${openaiModel('primary', goneUrl)}${openaiModel('backup', backup!.url)}router_settings:
  num_retries: 0
  fallbacks:
    - primary: [backup]
`,
  )

  const res = await ask(gw, 'primary')
  assert.equal(res.text, 'backup: hi')
  assert.equal(res.group, 'backup')
})

test('a primary that times out falls back', async (t) => {
  const [primary, backup] = await fakes(t, 'primary', 'backup')
  primary!.fallback = { kind: 'hang' }
  const gw = await gateway(
    t,
    `model_list:
${openaiModel('primary', primary!.url, '      timeout: 0.3\n')}${openaiModel('backup', backup!.url)}router_settings:
  num_retries: 0
  fallbacks:
    - primary: [backup]
`,
  )

  const res = await ask(gw, 'primary')
  assert.equal(res.text, 'backup: hi')
  assert.equal(res.group, 'backup')
})

test('a streamed call falls back before its first byte and streams the fallback’s answer', async (t) => {
  const [primary, backup] = await fakes(t, 'primary', 'backup')
  primary!.fallback = { kind: 'status', status: 500 }
  backup!.fallback = { kind: 'stream', chunks: ['from ', 'the ', 'backup'] }
  const gw = await gateway(
    t,
    `model_list:
${openaiModel('primary', primary!.url)}${openaiModel('backup', backup!.url)}router_settings:
  num_retries: 0
  fallbacks:
    - primary: [backup]
`,
  )

  const { data, response } = await gw
    .client()
    .chat.completions.create({ model: 'primary', messages: [{ role: 'user', content: 'hi' }], stream: true })
    .withResponse()
  let text = ''
  for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? ''
  assert.equal(text, 'from the backup')
  assert.equal(response.headers.get('x-portcullis-model-group'), 'backup')
  assert.equal(response.headers.get('x-portcullis-attempts'), '2')
})

test('a fallback listed in both litellm_settings and router_settings is tried once', async (t) => {
  const [primary, backup] = await fakes(t, 'primary', 'backup')
  primary!.fallback = { kind: 'status', status: 500 }
  backup!.fallback = { kind: 'status', status: 503 }
  const gw = await gateway(
    t,
    `model_list:
${openaiModel('primary', primary!.url)}${openaiModel('backup', backup!.url)}litellm_settings:
  fallbacks:
    - primary: [backup]
router_settings:
  num_retries: 0
  fallbacks:
    - primary: [backup]
`,
  )

  const err = await failure(ask(gw, 'primary'))
  assert.equal(err.status, 503)
  assert.equal(primary!.requests.length, 1)
  assert.equal(backup!.requests.length, 1)
})

test(
  'a stream whose upstream fails before its first event falls back (nothing reached the client yet)',
  async (t) => {
    const [primary, backup] = await fakes(t, 'primary', 'backup')
    // legacy completions streams have no leading role chunk: the error is the first event
    primary!.fallback = { kind: 'stream', chunks: [], errorAfter: true }
    backup!.fallback = { kind: 'stream', chunks: ['from ', 'the ', 'backup'] }
    const gw = await gateway(
      t,
      `model_list:
${openaiModel('primary', primary!.url)}${openaiModel('backup', backup!.url)}router_settings:
  num_retries: 0
  fallbacks:
    - primary: [backup]
`,
    )

    const stream = await gw.client().completions.create({ model: 'primary', prompt: 'hi', stream: true })
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? ''
    assert.equal(text, 'from the backup')
  },
)
