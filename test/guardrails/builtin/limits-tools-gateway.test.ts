// limits and tool_permission through a real gateway with the OpenAI SDK: what
// the upstream is sent after a clamp or a tool filter, and what the client gets
// when a model's tool call is refused or removed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type OpenAI from 'openai'
import { apiFailure } from '../../helpers/gateway.ts'
import { setup } from '../support.ts'

const gatewayWith = (guardrail: Record<string, unknown>) => (upstream: string): string =>
  JSON.stringify({
    model_list: [{ model_name: 'gpt', litellm_params: { model: 'openai/gpt-upstream', api_base: upstream, api_key: 'sk-x' } }],
    router_settings: { num_retries: 0 },
    guardrails: [{ guardrail_name: 'g', litellm_params: { default_on: true, ...guardrail } }],
  })

const weatherTools: OpenAI.Chat.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
  { type: 'function', function: { name: 'shell', parameters: { type: 'object' } } },
]

test('limits clamp: max_tokens and n over the caps reach the upstream clamped; a call without max_tokens gets the cap', async (t) => {
  const { fake, gw } = await setup(t, gatewayWith({ guardrail: 'limits', mode: 'pre_call', max_tokens: 50, max_n: 1, on_exceed: 'clamp' }))
  const sdk = gw.client()
  const r = await sdk.chat.completions.create({ model: 'gpt', max_tokens: 500, n: 3, messages: [{ role: 'user', content: 'hi' }] })
  assert.ok(r.choices[0]?.message.content)
  assert.equal(fake.requests[0]?.body.max_tokens, 50)
  assert.equal(fake.requests[0]?.body.n, 1)
  await sdk.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] })
  assert.equal(fake.requests[1]?.body.max_tokens, 50, 'an unbounded call is bounded')
})

test('limits block: oversized input or asks are a 400 naming the guardrail; the model is not called', async (t) => {
  const { fake, gw } = await setup(t, gatewayWith({ guardrail: 'limits', mode: 'pre_call', max_input_chars: 20, max_tokens: 100 }))
  const sdk = gw.client()
  const big = await apiFailure(sdk.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'x'.repeat(21) }] }))
  assert.equal(big.status, 400)
  assert.equal(big.code, 'guardrail_blocked')
  assert.match(big.message, /"g".*21 characters, more than the limit of 20/)
  const ask = await apiFailure(sdk.chat.completions.create({ model: 'gpt', max_tokens: 101, messages: [{ role: 'user', content: 'hi' }] }))
  assert.match(ask.message, /max_tokens 101 > 100/)
  assert.equal(fake.requests.length, 0)
})

test('tool_permission pre_call rewrite: the model is only offered the allowed tools', async (t) => {
  const { fake, gw } = await setup(t, gatewayWith({ guardrail: 'tool_permission', mode: 'pre_call', allow: ['get_*'], on_disallowed: 'rewrite' }))
  await gw.client().chat.completions.create({ model: 'gpt', tools: weatherTools, messages: [{ role: 'user', content: 'hello' }] })
  const offered = (fake.requests[0]?.body.tools as Array<{ function: { name: string } }>).map((x) => x.function.name)
  assert.deepEqual(offered, ['get_weather'])
})

test('tool_permission pre_call block: offering a denied tool is a 400', async (t) => {
  const { fake, gw } = await setup(t, gatewayWith({ guardrail: 'tool_permission', mode: 'pre_call', deny: ['shell'] }))
  const err = await apiFailure(gw.client().chat.completions.create({ model: 'gpt', tools: weatherTools, messages: [{ role: 'user', content: 'hello' }] }))
  assert.equal(err.code, 'guardrail_blocked')
  assert.match(err.message, /tool 'shell' denied by rule deny_0/)
  assert.equal(fake.requests.length, 0)
})

test('tool_permission post_call: a model calling a denied tool is blocked, or the call is removed with rewrite', async (t) => {
  // the fake answers "weather" prompts with a call to the first offered tool
  const tools = [weatherTools[1] as OpenAI.Chat.ChatCompletionTool]
  const blocked = await setup(t, gatewayWith({ guardrail: 'tool_permission', mode: 'post_call', deny: ['shell'] }))
  const err = await apiFailure(blocked.gw.client().chat.completions.create({ model: 'gpt', tools, messages: [{ role: 'user', content: 'weather?' }] }))
  assert.equal(err.status, 400)
  assert.match(err.message, /post_call.*tool 'shell' denied/)

  const rewritten = await setup(t, gatewayWith({ guardrail: 'tool_permission', mode: 'post_call', deny: ['shell'], on_disallowed: 'rewrite' }))
  const r = await rewritten.gw.client().chat.completions.create({ model: 'gpt', tools, messages: [{ role: 'user', content: 'weather?' }] })
  assert.equal(r.choices[0]?.message.tool_calls, undefined, 'the denied call is gone')
  assert.equal(r.choices[0]?.finish_reason, 'stop', 'nothing is left to call')
})

test('tool_permission post_call with argument rules: an allowed tool with allowed arguments passes', async (t) => {
  const rules = [{ id: 'paris-only', tool_name: 'shell', decision: 'allow', allowed_param_patterns: { city: '^Paris$' } }]
  const { gw } = await setup(t, gatewayWith({ guardrail: 'tool_permission', mode: 'post_call', rules }))
  const r = await gw.client().chat.completions.create({ model: 'gpt', tools: [weatherTools[1] as OpenAI.Chat.ChatCompletionTool], messages: [{ role: 'user', content: 'weather?' }] })
  const call = r.choices[0]?.message.tool_calls?.[0]
  assert.equal(call?.type === 'function' ? call.function.arguments : undefined, '{"city":"Paris"}')
})
