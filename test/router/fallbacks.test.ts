// Fallbacks to other model groups through a real gateway: when they are used
// (after the group's retries, at once for an unaffordable Retry-After, for
// auth failures), when they are not (the client's own 400), in which order,
// from both config sections, and for streams.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { apiFailure, askChat, askChatStream, messageOf, openaiModel, unreachableBaseURL, useFakes, useGateway } from '../helpers/gateway.ts'

/** Groups `primary` on `primaryUrl` (with litellm_params lines `primaryParams`) and `backup` on `backupUrl`. */
const primaryAndBackup = (primaryUrl: string, backupUrl: string, primaryParams = ''): string =>
  openaiModel('primary', primaryUrl, primaryParams) + openaiModel('backup', backupUrl)

/** A config of `models` whose router_settings are `settings` plus `primary` falling back to `to`. */
const withFallbacks = (models: string, settings = '  num_retries: 0\n', to = '[backup]'): string =>
  `model_list:\n${models}router_settings:\n${settings}  fallbacks:\n    - primary: ${to}\n`

test('router_settings.fallbacks: after the primary group’s retries the fallback group answers', async (t) => {
  const [primary, backup] = await useFakes(t, 'primary', 'backup')
  primary.fallback = { kind: 'status', status: 500 }
  const gw = await useGateway(t, withFallbacks(primaryAndBackup(primary.url, backup.url), '  num_retries: 1\n  retry_after: 0\n'))

  const res = await askChat(gw, 'primary', 'hello')
  assert.equal(res.text, 'backup: hello')
  assert.equal(res.group, 'backup')
  assert.equal(res.deployment, 'backup#1')
  assert.equal(res.attempts, 3)
  assert.equal(primary.requests.length, 2)
  // the fallback gets the client's request under its own upstream model name
  assert.equal(backup.requests.length, 1)
  assert.equal(backup.requests[0]?.body.model, 'backup-upstream')
  assert.deepEqual(backup.requests[0]?.body.messages, [{ role: 'user', content: 'hello' }])
})

test('litellm_settings.fallbacks work the same way', async (t) => {
  const [primary, backup] = await useFakes(t, 'primary', 'backup')
  primary.fallback = { kind: 'status', status: 503 }
  const gw = await useGateway(
    t,
    `model_list:
${primaryAndBackup(primary.url, backup.url)}litellm_settings:
  num_retries: 0
  fallbacks:
    - primary: backup
`,
  )

  const res = await askChat(gw, 'primary')
  assert.equal(res.text, 'backup: hi')
  assert.equal(res.group, 'backup')
  assert.equal(res.attempts, 2)
})

test('fallbacks are tried in their listed order until one answers', async (t) => {
  const [primary, second, third] = await useFakes(t, 'primary', 'second', 'third')
  primary.fallback = { kind: 'status', status: 500 }
  second.fallback = { kind: 'status', status: 502 }
  const models = openaiModel('primary', primary.url) + openaiModel('second', second.url) + openaiModel('third', third.url)
  const gw = await useGateway(t, withFallbacks(models, undefined, '[second, third]'))

  const res = await askChat(gw, 'primary')
  assert.equal(res.text, 'third: hi')
  assert.equal(res.group, 'third')
  assert.equal(res.attempts, 3)
  assert.equal(primary.requests.length, 1)
  assert.equal(second.requests.length, 1)
})

test('a fallback group is not used for a model that does not list it', async (t) => {
  const [primary, other, backup] = await useFakes(t, 'primary', 'other', 'backup')
  other.fallback = { kind: 'status', status: 500, body: { error: { message: 'other is down', type: 'server_error' } } }
  const models = openaiModel('primary', primary.url) + openaiModel('other', other.url) + openaiModel('backup', backup.url)
  const gw = await useGateway(t, withFallbacks(models))

  const err = await apiFailure(askChat(gw, 'other'))
  assert.equal(err.status, 500)
  assert.equal(messageOf(err), 'other is down')
  assert.equal(backup.requests.length, 0)
})

test('a Retry-After longer than max_retry_after sends the call to the fallback at once', async (t) => {
  const [primary, backup] = await useFakes(t, 'primary', 'backup')
  primary.fallback = { kind: 'status', status: 429, headers: { 'retry-after': '60' } }
  const gw = await useGateway(t, withFallbacks(primaryAndBackup(primary.url, backup.url), '  num_retries: 3\n'))

  const started = performance.now()
  const res = await askChat(gw, 'primary')
  assert.ok(performance.now() - started < 5_000, 'the 60 s Retry-After was not waited for')
  assert.equal(res.group, 'backup')
  assert.equal(primary.requests.length, 1)
})

test('a 401 from the primary (bad deployment key) goes to the fallback without a retry', async (t) => {
  const [primary, backup] = await useFakes(t, 'primary', 'backup')
  primary.fallback = { kind: 'status', status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } } }
  const gw = await useGateway(t, withFallbacks(primaryAndBackup(primary.url, backup.url), '  num_retries: 2\n'))

  const res = await askChat(gw, 'primary')
  assert.equal(res.group, 'backup')
  assert.equal(res.attempts, 2)
  assert.equal(primary.requests.length, 1)
})

test('a 400 (the client’s own mistake) is not sent to the fallback', async (t) => {
  const [primary, backup] = await useFakes(t, 'primary', 'backup')
  primary.fallback = { kind: 'status', status: 400, body: { error: { message: 'Invalid value for temperature', type: 'invalid_request_error', param: 'temperature' } } }
  // no num_retries: the default retries apply
  const gw = await useGateway(t, withFallbacks(primaryAndBackup(primary.url, backup.url), ''))

  const err = await apiFailure(askChat(gw, 'primary'))
  assert.equal(err.status, 400)
  assert.equal(messageOf(err), 'Invalid value for temperature')
  assert.equal(err.param, 'temperature')
  assert.equal(primary.requests.length, 1)
  assert.equal(backup.requests.length, 0)
})

test('when the fallback fails too, the client gets the fallback’s error with its status', async (t) => {
  const [primary, backup] = await useFakes(t, 'primary', 'backup')
  primary.fallback = { kind: 'status', status: 500 }
  backup.fallback = { kind: 'status', status: 503, body: { error: { message: 'backup overloaded', type: 'server_error' } } }
  const gw = await useGateway(t, withFallbacks(primaryAndBackup(primary.url, backup.url)))

  const err = await apiFailure(askChat(gw, 'primary'))
  assert.equal(err.status, 503)
  assert.equal(messageOf(err), 'backup overloaded')
  assert.equal(primary.requests.length, 1)
  assert.equal(backup.requests.length, 1)
})

test('an unreachable primary falls back', async (t) => {
  const [backup] = await useFakes(t, 'backup')
  const gw = await useGateway(t, withFallbacks(primaryAndBackup(await unreachableBaseURL(), backup.url)))

  const res = await askChat(gw, 'primary')
  assert.equal(res.text, 'backup: hi')
  assert.equal(res.group, 'backup')
})

test('a primary that times out falls back', async (t) => {
  const [primary, backup] = await useFakes(t, 'primary', 'backup')
  primary.fallback = { kind: 'hang' }
  const gw = await useGateway(t, withFallbacks(primaryAndBackup(primary.url, backup.url, '      timeout: 0.3\n')))

  const res = await askChat(gw, 'primary')
  assert.equal(res.text, 'backup: hi')
  assert.equal(res.group, 'backup')
})

test('a streamed call falls back before its first byte and streams the fallback’s answer', async (t) => {
  const [primary, backup] = await useFakes(t, 'primary', 'backup')
  primary.fallback = { kind: 'status', status: 500 }
  backup.fallback = { kind: 'stream', chunks: ['from ', 'the ', 'backup'] }
  const gw = await useGateway(t, withFallbacks(primaryAndBackup(primary.url, backup.url)))

  const res = await askChatStream(gw, 'primary')
  assert.equal(res.text, 'from the backup')
  assert.equal(res.group, 'backup')
  assert.equal(res.attempts, 2)
})

test('a fallback listed in both litellm_settings and router_settings is tried once', async (t) => {
  const [primary, backup] = await useFakes(t, 'primary', 'backup')
  primary.fallback = { kind: 'status', status: 500 }
  backup.fallback = { kind: 'status', status: 503 }
  const gw = await useGateway(
    t,
    `model_list:
${primaryAndBackup(primary.url, backup.url)}litellm_settings:
  fallbacks:
    - primary: [backup]
router_settings:
  num_retries: 0
  fallbacks:
    - primary: [backup]
`,
  )

  const err = await apiFailure(askChat(gw, 'primary'))
  assert.equal(err.status, 503)
  assert.equal(primary.requests.length, 1)
  assert.equal(backup.requests.length, 1)
})

test(
  'a stream whose upstream fails before its first event falls back (nothing reached the client yet)',
  async (t) => {
    const [primary, backup] = await useFakes(t, 'primary', 'backup')
    // legacy completions streams have no leading role chunk: the error is the first event
    primary.fallback = { kind: 'stream', chunks: [], errorAfter: true }
    backup.fallback = { kind: 'stream', chunks: ['from ', 'the ', 'backup'] }
    const gw = await useGateway(t, withFallbacks(primaryAndBackup(primary.url, backup.url)))

    const stream = await gw.client().completions.create({ model: 'primary', prompt: 'hi', stream: true })
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? ''
    assert.equal(text, 'from the backup')
  },
)
