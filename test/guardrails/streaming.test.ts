// post_call guardrails on SSE streams: a word split across upstream chunks is
// rewritten without any of it leaking (SDK chunks and raw bytes), a block
// after bytes were sent ends the stream with an error event the SDK raises,
// and a block before the first byte is a plain 400.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import OpenAI, { APIError } from 'openai'
import { apiFailure, collect } from '../helpers/gateway.ts'
import { assertNoLeak, config, namesIn, post, requestLog, setup, sseData } from './support.ts'

type Chunk = OpenAI.Chat.ChatCompletionChunk
const contentOf = (chunks: Chunk[]): string => chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')
const contentPieces = (chunks: Chunk[]): string[] => chunks.map((c) => c.choices[0]?.delta.content ?? '').filter((p) => p !== '')

// No letter q or f in the filler: a piece ending in "q" or "f" can only be a leak.
const FILLER = 'The little animal ran around the island. '
/** `n` upstream pieces of filler text, of varied lengths (15 to 40 characters). */
const filler = (n: number): string[] => Array.from({ length: n }, (_, i) => FILLER.slice(0, 15 + ((i * 7) % 26)))

/** Upstream pieces with "quokka" split across three chunks twice (mid-stream) and once at the end. */
function quokkaChunks(): { chunks: string[]; masked: string } {
  const chunks = [...filler(16), 'then a happy q', 'uok', 'ka appeared. ', ...filler(16), 'and a QUO', 'K', 'KA too. ', ...filler(6), 'bye, qu', 'okk', 'a']
  const masked = chunks.join('').replace(/quokka/gi, '[MASKED]')
  return { chunks, masked }
}

describe('post_call rewrite of a stream', () => {
  for (const window of [undefined, 16]) {
    test(`a word split across three upstream chunks never leaks (window ${window ?? 'default 256'})`, async (t) => {
      const { fake, gw } = await setup(t, (up) =>
        config({
          upstream: up,
          guardrails: [{ name: 'mask', fixture: 'word', mode: 'post_call', default_on: true, word: 'quokka' }],
          ...(window ? { general: { guardrail_stream_window: window } } : {}),
        }),
      )
      const { chunks, masked } = quokkaChunks()
      assert.ok(chunks.join('').length > 3 * 256, 'long enough that text is released while the stream runs')

      // through the SDK
      fake.queue({ kind: 'stream', chunks })
      const { data, response } = await gw
        .client()
        .chat.completions.create({ model: 'gpt', stream: true, messages: [{ role: 'user', content: 'tell me' }] })
        .withResponse()
      const got = await collect(data)
      assert.equal(contentOf(got), masked)
      assert.ok(contentPieces(got).length >= 3, `released in several pieces, got ${contentPieces(got).length}`)
      assertNoLeak(contentPieces(got), 'quokka', 'SDK chunk')
      assert.equal(got.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason, 'stop')
      assert.deepEqual(namesIn(response.headers.get('x-portcullis-applied-guardrails')), ['mask'])

      // the raw bytes
      fake.queue({ kind: 'stream', chunks })
      const raw = await post(gw, '/v1/chat/completions', { model: 'gpt', stream: true, messages: [{ role: 'user', content: 'tell me' }] })
      assert.equal(raw.status, 200)
      assert.doesNotMatch(raw.text, /quokka/i)
      const events = sseData(raw.text)
      assert.equal(events.at(-1), '[DONE]')
      const pieces = events
        .slice(0, -1)
        .map((e) => (JSON.parse(e) as Chunk).choices[0]?.delta.content ?? '')
        .filter((p) => p !== '')
      assertNoLeak(pieces, 'quokka', 'raw SSE event')
      assert.equal(pieces.join(''), masked)

      // the stream is recorded as one decision per guardrail
      const log = await requestLog(gw, response.headers.get('x-request-id'))
      assert.deepEqual(log.guardrails?.map((d) => [d.name, d.mode, d.action]), [['mask', 'post_call', 'rewrite']])
    })
  }

  test('legacy completions streams are rewritten too', async (t) => {
    const { fake, gw } = await setup(t, (up) =>
      config({ upstream: up, guardrails: [{ name: 'mask', fixture: 'word', mode: 'post_call', default_on: true, word: 'quokka' }] }),
    )
    fake.queue({ kind: 'stream', chunks: ['a q', 'uok', 'ka here'] })
    const got = await collect(await gw.client().completions.create({ model: 'gpt', prompt: 'p', stream: true }))
    const pieces = got.map((c) => c.choices[0]?.text ?? '').filter(Boolean)
    assert.equal(pieces.join(''), 'a [MASKED] here')
    assertNoLeak(pieces, 'quokka', 'completion chunk')
  })
})

describe('post_call block of a stream', () => {
  test('after bytes were sent: the SDK raises an APIError while iterating, and nothing of the blocked span arrived', async (t) => {
    const { fake, gw } = await setup(t, (up) =>
      config({ upstream: up, guardrails: [{ name: 'stop-it', fixture: 'word', mode: 'post_call', default_on: true, word: 'forbidden', action: 'block' }] }),
    )
    const chunks = [...filler(25), 'now the forb', 'idd', 'en part', ...filler(5)]
    const full = chunks.join('')
    const at = full.indexOf('forbidden')
    assert.ok(at > 256 + 64, 'the block comes after text was released')

    fake.queue({ kind: 'stream', chunks })
    const stream = await gw.client().chat.completions.create({ model: 'gpt', stream: true, messages: [{ role: 'user', content: 'go' }] })
    let received = ''
    const pieces: string[] = []
    let failure: unknown
    try {
      for await (const c of stream) {
        const p = c.choices[0]?.delta.content ?? ''
        if (p) pieces.push(p)
        received += p
      }
    } catch (err) {
      failure = err
    }
    assert.ok(failure instanceof APIError, `the SDK raised an APIError, got ${String(failure)}`)
    const body = failure.error as { code?: string; type?: string; guardrail?: unknown; message?: string }
    assert.equal(body.code, 'guardrail_blocked')
    assert.equal(body.type, 'invalid_request_error')
    assert.deepEqual(body.guardrail, { name: 'stop-it', mode: 'post_call', reason: 'found a banned word (1x)' })
    assert.match(body.message ?? '', /stop-it/)
    assert.ok(received.length > 0, 'text was released before the block')
    assert.ok(full.startsWith(received), 'what arrived is a prefix of the answer')
    assert.ok(received.length <= at, `nothing of the blocked span arrived: got ${received.length} chars, the word starts at ${at}`)
    assertNoLeak(pieces, 'forbidden', 'SDK chunk')

    // the raw bytes: a 200 whose last event is the error, no [DONE]
    fake.queue({ kind: 'stream', chunks })
    const raw = await post(gw, '/v1/chat/completions', { model: 'gpt', stream: true, messages: [{ role: 'user', content: 'go' }] })
    assert.equal(raw.status, 200)
    assert.doesNotMatch(raw.text, /forbidden|forbidd|forb/i)
    const events = sseData(raw.text)
    assert.notEqual(events.at(-1), '[DONE]')
    const last = JSON.parse(events.at(-1) as string) as { error?: { code?: string; guardrail?: { name?: string } } }
    assert.equal(last.error?.code, 'guardrail_blocked')
    assert.equal(last.error?.guardrail?.name, 'stop-it')
    assert.deepEqual(namesIn(raw.headers.get('x-portcullis-applied-guardrails')), ['stop-it'])
    const log = await requestLog(gw, raw.headers.get('x-request-id'))
    assert.deepEqual(log.guardrails?.map((d) => [d.name, d.mode, d.action]), [['stop-it', 'post_call', 'block']])
  })

  test('before the first byte: a plain 400, as for a JSON answer', async (t) => {
    const { fake, gw } = await setup(t, (up) =>
      config({ upstream: up, guardrails: [{ name: 'stop-it', fixture: 'word', mode: 'post_call', default_on: true, word: 'forbidden', action: 'block' }] }),
    )
    fake.queue({ kind: 'stream', chunks: ['a short ', 'forb', 'idden', ' answer'] })
    const err = await apiFailure(
      (async () => collect(await gw.client().chat.completions.create({ model: 'gpt', stream: true, messages: [{ role: 'user', content: 'go' }] })))(),
    )
    assert.equal(err.status, 400)
    assert.equal(err.code, 'guardrail_blocked')
    assert.deepEqual((err.error as { guardrail: unknown }).guardrail, { name: 'stop-it', mode: 'post_call', reason: 'found a banned word (1x)' })
    assert.deepEqual(namesIn(err.headers?.get('x-portcullis-applied-guardrails') ?? null), ['stop-it'])

    fake.queue({ kind: 'stream', chunks: ['a short ', 'forb', 'idden', ' answer'] })
    const raw = await post(gw, '/v1/chat/completions', { model: 'gpt', stream: true, messages: [{ role: 'user', content: 'go' }] })
    assert.equal(raw.status, 400)
    assert.match(raw.headers.get('content-type') ?? '', /application\/json/)
    assert.equal(raw.json().error.code, 'guardrail_blocked')
    assert.doesNotMatch(raw.text, /short/)
  })
})
