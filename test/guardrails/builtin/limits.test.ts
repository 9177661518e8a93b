import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLimits } from '../../../src/guardrails/builtin/limits.ts'
import { ParamError } from '../../../src/guardrails/factory.ts'
import type { GuardContext, GuardText, Verdict } from '../../../src/guardrails/types.ts'

const ctx = (request: Record<string, unknown>, callType: GuardContext['callType'] = 'chat'): GuardContext => ({
  requestId: 'r',
  model: 'm',
  callType,
  mode: 'pre_call',
  signal: new AbortController().signal,
  caller: {},
  requestMetadata: {},
  request,
})
const texts = (...t: string[]): GuardText[] => t.map((text, index) => ({ index, text, source: 'user' }))
const make = async (params: Record<string, unknown>) => createLimits(params, { name: 'limits', configDir: '/' })
const run = async (params: Record<string, unknown>, request: Record<string, unknown>, t: GuardText[] = texts('hi')): Promise<Verdict> =>
  (await make(params)).checkInput!(t, ctx(request))

test('oversized input is refused by characters, summed over every text', async () => {
  const v = await run({ max_input_chars: 10 }, { messages: [{}, {}] }, texts('hello', 'world!'))
  assert.equal(v.action, 'block')
  assert.match(v.action === 'block' ? v.reason : '', /11 characters, more than the limit of 10/)
  assert.equal((await run({ max_input_chars: 11 }, {}, texts('hello', 'world!'))).action, 'allow')
})

test('oversized input is refused by tokens (gpt-tokenizer), not by characters', async () => {
  const long = 'hello world '.repeat(50) // 600 characters, about 100 tokens
  assert.equal((await run({ max_input_tokens: 150 }, {}, texts(long))).action, 'allow')
  const v = await run({ max_input_tokens: 50 }, {}, texts(long))
  assert.equal(v.action, 'block')
  assert.match(v.action === 'block' ? v.reason : '', /tokens, more than the limit of 50/)
})

test('too many messages are refused', async () => {
  const v = await run({ max_messages: 2 }, { messages: [{}, {}, {}] })
  assert.equal(v.action, 'block')
  assert.equal((await run({ max_messages: 3 }, { messages: [{}, {}, {}] })).action, 'allow')
})

test('max_tokens and n over their caps: refused by default, clamped with on_exceed: clamp', async () => {
  const blocked = await run({ max_tokens: 100, max_n: 2 }, { max_tokens: 500, n: 4 })
  assert.equal(blocked.action, 'block')
  assert.match(blocked.action === 'block' ? blocked.reason : '', /max_tokens 500 > 100, n 4 > 2/)
  const clamped = await run({ max_tokens: 100, max_n: 2, on_exceed: 'clamp' }, { max_tokens: 500, max_completion_tokens: 300, n: 4 }, texts('a', 'b'))
  assert.equal(clamped.action, 'rewrite')
  if (clamped.action !== 'rewrite') return
  assert.deepEqual(clamped.params, { max_tokens: 100, max_completion_tokens: 100, n: 2 })
  assert.deepEqual(clamped.texts, ['a', 'b'], 'texts are left as they were')
})

test('a request that asks for no max_tokens gets the cap: nothing is unbounded', async () => {
  const v = await run({ max_tokens: 64 }, { messages: [{}] })
  assert.equal(v.action, 'rewrite')
  assert.deepEqual(v.action === 'rewrite' ? v.params : undefined, { max_tokens: 64 })
  assert.equal((await run({ max_tokens: 64 }, { max_tokens: 10 })).action, 'allow', 'within the cap: untouched')
  const emb = await (await make({ max_tokens: 64 })).checkInput!(texts('x'), ctx({}, 'embeddings'))
  assert.equal(emb.action, 'allow', 'embeddings have no max_tokens')
})

test('bad params name their key', async () => {
  await assert.rejects(make({}), (e: unknown) => e instanceof ParamError && e.key === 'max_input_chars')
  await assert.rejects(make({ max_tokens: -1 }), (e: unknown) => e instanceof ParamError && e.key === 'max_tokens')
  await assert.rejects(make({ max_tokens: 5, on_exceed: 'truncate' }), (e: unknown) => e instanceof ParamError && e.key === 'on_exceed')
})
