// `on_block: refusal`: a block is answered 200 with the refusal text and
// finish_reason content_filter instead of the 400, for JSON and streams,
// pre_call, during_call and post_call.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type OpenAI from 'openai'
import { apiFailure, collect } from '../helpers/gateway.ts'
import { config, namesIn, setup, type Mode } from './support.ts'

const REFUSAL = 'Sorry, I cannot talk about that.'
type Chunk = OpenAI.Chat.ChatCompletionChunk

function refusalConfig(up: string, mode: Mode, message: string | undefined = REFUSAL): string {
  return config({
    upstream: up,
    guardrails: [
      { name: 'polite', fixture: 'word', mode, default_on: true, word: 'forbidden', action: 'block', on_block: 'refusal', ...(message ? { refusal_message: message } : {}) },
    ],
  })
}

describe('on_block: refusal', () => {
  for (const mode of ['pre_call', 'during_call'] as const) {
    test(`${mode}: JSON and stream answer 200 with the refusal`, async (t) => {
      const { fake, gw } = await setup(t, (up) => refusalConfig(up, mode))
      const { data, response } = await gw
        .client()
        .chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'a forbidden question' }] })
        .withResponse()
      assert.equal(response.status, 200)
      assert.equal(data.choices[0]?.message.content, REFUSAL)
      assert.equal(data.choices[0]?.finish_reason, 'content_filter')
      assert.deepEqual(namesIn(response.headers.get('x-portcullis-applied-guardrails')), ['polite'])
      if (mode === 'pre_call') assert.equal(fake.requests.length, 0, 'the model was not called')

      const chunks: Chunk[] = await collect(
        await gw.client().chat.completions.create({ model: 'gpt', stream: true, messages: [{ role: 'user', content: 'a forbidden question' }] }),
      )
      assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), REFUSAL)
      assert.equal(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason, 'content_filter')

      const completion = await gw.client().completions.create({ model: 'gpt', prompt: 'a forbidden prompt' })
      assert.equal(completion.choices[0]?.text, REFUSAL)
      assert.equal(completion.choices[0]?.finish_reason, 'content_filter')
    })
  }

  test('post_call: a JSON answer becomes the refusal', async (t) => {
    const { fake, gw } = await setup(t, (up) => refusalConfig(up, 'post_call'))
    fake.queue({ kind: 'reply', content: 'the forbidden answer' })
    const data = await gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] })
    assert.equal(data.choices[0]?.message.content, REFUSAL)
    assert.equal(data.choices[0]?.finish_reason, 'content_filter')
    assert.equal(fake.requests.length, 1)
  })

  test('post_call: a stream ends with the refusal and nothing of the blocked text', async (t) => {
    const { fake, gw } = await setup(t, (up) => refusalConfig(up, 'post_call'))
    fake.queue({ kind: 'stream', chunks: ['the ', 'forb', 'idden ', 'answer'] })
    const chunks: Chunk[] = await collect(
      await gw.client().chat.completions.create({ model: 'gpt', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    )
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')
    assert.equal(text, REFUSAL)
    assert.equal(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason, 'content_filter')
  })

  test('embeddings have no answer to refuse with: a refusal-configured block is the 400 naming the guardrail', async (t) => {
    const { fake, gw } = await setup(t, (up) => refusalConfig(up, 'pre_call'))
    const err = await apiFailure(gw.client().embeddings.create({ model: 'gpt', input: 'a forbidden text' }))
    assert.equal(err.status, 400)
    assert.equal(err.code, 'guardrail_blocked')
    assert.deepEqual((err.error as { guardrail?: unknown }).guardrail, { name: 'polite', mode: 'pre_call', reason: 'found a banned word (1x)' })
    assert.match((err.error as { message: string }).message, /polite/)
    assert.equal(fake.requests.length, 0)
  })

  test('a refused stream still ends with usage when asked', async (t) => {
    const { gw } = await setup(t, (up) => refusalConfig(up, 'pre_call'))
    const chunks: Chunk[] = await collect(
      await gw.client().chat.completions.create({ model: 'gpt', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'forbidden' }] }),
    )
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), REFUSAL)
    assert.ok(chunks.at(-1)?.usage, 'the last chunk carries usage')
    assert.deepEqual(chunks.at(-1)?.choices, [])
  })

  test('without refusal_message a default refusal text is used', async (t) => {
    const { gw } = await setup(t, (up) => refusalConfig(up, 'pre_call', undefined))
    const data = await gw.client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'forbidden' }] })
    assert.ok((data.choices[0]?.message.content ?? '').length > 10)
    assert.equal(data.choices[0]?.finish_reason, 'content_filter')
  })
})
