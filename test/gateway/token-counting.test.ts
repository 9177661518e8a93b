// Token counting never stalls the gateway: the echo model (the default
// config's) counting a long one-character prompt, special-token text, and a
// long streamed answer whose upstream reports no usage, counted by the gateway.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useSharedGateway } from '../helpers/gateway.ts'

const shared = useSharedGateway()

// Counting these took the unbounded encoder from seconds to minutes, holding the
// event loop all along; bounded, they take well under a second. The timeout
// makes a stalled gateway fail the test instead of hanging the suite.
const STALLED = { timeout: 20_000 }

test('the echo model answers a 256,000-character one-letter prompt with its usage', STALLED, async () => {
  const prompt = 'x'.repeat(256_000)
  const r = await shared.sdk.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: prompt }] })
  assert.equal(r.choices[0]?.message.content, `echo: ${prompt}`)
  assert.equal(r.usage?.prompt_tokens, 32_000)
})

test('the echo model cuts a long one-letter answer at max_tokens', STALLED, async () => {
  const r = await shared.sdk.chat.completions.create({ model: 'echo', max_tokens: 5, messages: [{ role: 'user', content: 'x'.repeat(200_000) }] })
  assert.equal(r.choices[0]?.finish_reason, 'length')
  assert.equal(r.usage?.completion_tokens, 5)
  assert.match(r.choices[0]?.message.content ?? '', /^echo: x+$/)
})

test('special-token text in a prompt is answered, not a 500', async () => {
  const r = await shared.sdk.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'say <|endoftext|> and <|im_end|>' }] })
  assert.equal(r.choices[0]?.message.content, 'echo: say <|endoftext|> and <|im_end|>')
})

test('a 1 MB one-letter stream whose upstream reports no usage is delivered whole and ends', STALLED, async () => {
  shared.fake.queue({ kind: 'stream', chunks: Array.from({ length: 1000 }, () => 'x'.repeat(1000)), noUsage: true })
  const stream = await shared.sdk.chat.completions.create({ model: 'gpt', stream: true, messages: [{ role: 'user', content: 'long' }] })
  let length = 0
  for await (const chunk of stream) length += chunk.choices[0]?.delta.content?.length ?? 0
  assert.equal(length, 1_000_000)
})
