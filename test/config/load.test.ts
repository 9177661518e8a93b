import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, parseConfig, type ConfigIssue } from '../../src/config/load.ts'

const FILE = '/tmp/portcullis-test.yaml'

function errorsOf(yaml: string, env: NodeJS.ProcessEnv = {}): ConfigIssue[] {
  try {
    parseConfig(yaml, FILE, env)
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`)
    return err.issues
  }
  assert.fail('the config was accepted')
}

test('a LiteLLM config loads: params alias, os.environ refs, router and general settings', () => {
  const { config, warnings } = parseConfig(
    `
model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_key: os.environ/OPENAI_API_KEY
      timeout: 12
      input_cost_per_token: 0.00000015
  - model_name: gpt-4o-mini
    params:
      model: openai/gpt-4o-mini
      api_base: http://127.0.0.1:9/v1
      weight: 3
  - model_name: claude
    litellm_params: { model: anthropic/claude-sonnet-4-5, api_key: os.environ/ANTHROPIC_API_KEY }
router_settings:
  routing_strategy: least-busy
  num_retries: 4
  cooldown_time: 7
litellm_settings:
  fallbacks: [{ gpt-4o-mini: [claude] }]
general_settings:
  master_key: os.environ/PORTCULLIS_MASTER_KEY
  max_request_size_mb: 2
`,
    FILE,
    { OPENAI_API_KEY: 'sk-openai', ANTHROPIC_API_KEY: 'sk-ant', PORTCULLIS_MASTER_KEY: 'sk-master-123' },
  )
  assert.deepEqual(warnings, [])
  const [a, b, c] = config.deployments
  assert.equal(a?.apiKey, 'sk-openai')
  assert.equal(a?.apiBase, 'https://api.openai.com/v1')
  assert.equal(a?.timeoutMs, 12_000)
  assert.equal(a?.inputCostPerToken, 0.00000015)
  assert.equal(b?.apiBase, 'http://127.0.0.1:9/v1', '`params` is accepted for `litellm_params`')
  assert.equal(b?.weight, 3)
  assert.equal(c?.provider, 'anthropic')
  assert.equal(c?.model, 'claude-sonnet-4-5')
  assert.equal(config.router.strategy, 'least-busy')
  assert.equal(config.router.numRetries, 4)
  assert.equal(config.router.cooldownMs, 7000)
  assert.deepEqual(config.router.fallbacks.get('gpt-4o-mini'), ['claude'])
  assert.equal(config.general.masterKey, 'sk-master-123')
  assert.equal(config.general.maxRequestBytes, 2 * 1024 * 1024)
})

test('OpenAI-compatible provider prefixes get their usual api_base', () => {
  const { config } = parseConfig(
    `model_list:
  - { model_name: a, litellm_params: { model: groq/llama-3.1-8b-instant } }
  - { model_name: b, litellm_params: { model: ollama_chat/llama3 } }
  - { model_name: c, litellm_params: { model: hosted_vllm/m, api_base: "http://10.0.0.1:8000/v1" } }`,
    FILE,
  )
  assert.deepEqual(
    config.deployments.map((d) => [d.provider, d.apiBase]),
    [
      ['openai', 'https://api.groq.com/openai/v1'],
      ['openai', 'http://localhost:11434/v1'],
      ['openai', 'http://10.0.0.1:8000/v1'],
    ],
  )
})

test('an unset environment variable is an error naming the variable and path, never a value', () => {
  const issues = errorsOf(
    `model_list:
  - model_name: m
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/MISSING_KEY
general_settings:
  master_key: os.environ/ALSO_MISSING
`,
    { UNRELATED: 'sk-should-not-appear' },
  )
  assert.deepEqual(
    issues.map((i) => [i.path, i.line]),
    [
      ['model_list[0].litellm_params.api_key', 5],
      ['general_settings.master_key', 7],
    ],
  )
  assert.match(issues[0]?.message ?? '', /MISSING_KEY is not set/)
  assert.ok(!JSON.stringify(issues).includes('sk-should-not-appear'))
})

test('environment_variables in the config satisfy os.environ refs', () => {
  const { config } = parseConfig(
    `environment_variables: { MY_KEY: sk-from-config }
model_list: [{ model_name: m, litellm_params: { model: openai/x, api_key: os.environ/MY_KEY } }]`,
    FILE,
  )
  assert.equal(config.deployments[0]?.apiKey, 'sk-from-config')
})

test('every error is reported with its YAML path and line, not just the first', () => {
  const issues = errorsOf(`model_list:
  - model_name: ok
    litellm_params:
      model: gpt-4o
  - model_name: m2
    litellm_params:
      model: nosuch/thing
      timeout: -3
  - model_name: m3
    litellm_params:
      model: azure/my-deployment
router_settings:
  num_retries: many
  fallbacks: [{ ok: [ghost] }]
guardrails:
  - guardrail_name: g
    litellm_params: { guardrail: content_filter, mode: sometimes }
`)
  const byPath = new Map(issues.map((i) => [i.path, i]))
  assert.match(byPath.get('model_list[0].litellm_params.model')?.message ?? '', /<provider>\/<model>/)
  assert.equal(byPath.get('model_list[0].litellm_params.model')?.line, 4)
  assert.ok(byPath.has('model_list[1].litellm_params.timeout'))
  assert.ok(byPath.has('router_settings.num_retries'))
  assert.ok(byPath.has('guardrails[0].litellm_params.mode'))
  assert.equal(byPath.get('guardrails[0].litellm_params.mode')?.line, 17)
})

test('semantic errors: unknown provider, missing api_base, unknown fallback target, duplicate id', () => {
  const issues = errorsOf(`model_list:
  - { model_name: a, litellm_params: { model: nosuch/thing }, model_info: { id: same } }
  - { model_name: b, litellm_params: { model: azure/dep }, model_info: { id: same } }
router_settings:
  fallbacks: [{ a: [ghost] }]
`)
  const text = issues.map((i) => `${i.path}: ${i.message}`).join('\n')
  assert.match(text, /model_list\[0\]\.litellm_params\.model: unknown provider "nosuch"/)
  assert.match(text, /model_list\[1\]\.litellm_params\.api_base: provider "azure" needs an api_base/)
  assert.match(text, /model_list\[1\]\.model_info\.id: duplicate deployment id "same"/)
  assert.match(text, /router_settings\.fallbacks\[0\]\.a\[0\]: fallback target "ghost"/)
})

test('keys Portcullis does not support are warnings with their path, not silently ignored', () => {
  const { warnings } = parseConfig(
    `model_list:
  - model_name: m
    litellm_params: { model: echo/echo, drop_params: true }
litellm_settings:
  success_callback: [langfuse]
router_settings:
  routing_strategy: usage-based-routing-v2
general_settings:
  alerting: [slack]
`,
    FILE,
  )
  const text = warnings.map((w) => `${w.path} (line ${w.line}): ${w.message}`)
  assert.deepEqual(text, [
    'model_list[0].litellm_params.drop_params (line 3): not supported by Portcullis; ignored',
    'litellm_settings.success_callback (line 5): not supported by Portcullis; ignored',
    'general_settings.alerting (line 9): not supported by Portcullis; ignored',
    'router_settings.routing_strategy (line 7): "usage-based-routing-v2" is not supported; using simple-shuffle (supported: simple-shuffle, least-busy)',
  ])
})

test('YAML syntax errors and non-mapping documents are errors with a line', () => {
  const syntax = errorsOf('model_list:\n  - model_name: [unclosed\n')
  assert.match(syntax[0]?.message ?? '', /^YAML:/)
  assert.equal(typeof syntax[0]?.line, 'number')
  assert.match(errorsOf('- just\n- a list\n')[0]?.message ?? '', /must be a YAML mapping/)
  assert.match(errorsOf('model_list: []\n')[0]?.message ?? '', /at least one model/)
})

test('numbers may come from the environment as strings', () => {
  const { config } = parseConfig(
    `model_list: [{ model_name: m, litellm_params: { model: echo/echo, timeout: os.environ/T } }]
general_settings: { max_request_size_mb: os.environ/MB }`,
    FILE,
    { T: '2.5', MB: '1' },
  )
  assert.equal(config.deployments[0]?.timeoutMs, 2500)
  assert.equal(config.general.maxRequestBytes, 1024 * 1024)
})
