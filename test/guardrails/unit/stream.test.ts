// post_call guardrails on streams. What a client must be able to rely on: a
// span the guardrail masks or blocks never reaches it — not whole, not in part —
// however the upstream splits it into chunks and wherever it sits in a long
// stream; a block surfaces before the first byte when nothing was released yet;
// tool calls, several choices, legacy completions, usage and emoji all survive.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { GuardrailSpec } from '../../../src/guardrails/spec.ts'
import { guardStream } from '../../../src/guardrails/stream.ts'
import { GuardrailBlocked, GuardrailUnavailable } from '../../../src/guardrails/errors.ts'
import type { GuardContext, Guardrail, GuardText, StreamScanner, Verdict } from '../../../src/guardrails/types.ts'
import { chatEvents, completionEvents } from '../../../src/protocols/chat/stream-events.ts'
import { blocker, callInfo, prng, recorder, rewriter, spec } from './helpers.ts'

type Chunk = Record<string, any>

/** The guarded word: its letters never occur in the filler, so any of them in the output is a leak. */
const WORD = 'ZQXJWVKZQY'
const LEAK = /[ZQXJWVKY]/
const MASKS = ['#', '**********', '<redacted-secret-text>']

const masker = (mask: string, seen?: GuardText[][]): Guardrail => {
  const g = rewriter('mask', (s) => s.replaceAll(WORD, mask))
  if (!seen) return g
  const inner = g.checkOutput!
  return { ...g, checkOutput: (ts, ctx) => (seen.push(ts.map((t) => ({ ...t }))), inner(ts, ctx)) }
}

const UP = { id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1700000000, model: 'gpt-up', system_fingerprint: 'fp_1' }
const UP_TEXT = { id: 'cmpl-up', object: 'text_completion', created: 1700000000, model: 'gpt-up' }

const chatChunk = (choice: Chunk, extra: Chunk = {}): Chunk => ({ ...UP, ...extra, choices: [{ index: 0, logprobs: null, finish_reason: null, ...choice }] })

/** An OpenAI chat stream of `pieces` (one chunk each) for choice 0: role chunk, content chunks, finish chunk. */
function chatChunks(pieces: string[], finish = 'stop'): Chunk[] {
  return [chatChunk({ delta: { role: 'assistant', content: '' } }), ...pieces.map((p) => chatChunk({ delta: { content: p } })), chatChunk({ delta: {}, finish_reason: finish })]
}

/** An async source of `chunks`; `closed` turns true once the consumer stopped pulling (finished, broke off or failed). */
function source(chunks: Chunk[]): AsyncGenerator<Chunk> & { closed: boolean; pulled: number } {
  const state = { closed: false, pulled: 0 }
  const gen = (async function* () {
    try {
      for (const c of chunks) {
        state.pulled++
        yield structuredClone(c)
      }
    } finally {
      state.closed = true
    }
  })()
  Object.defineProperty(gen, 'closed', { get: () => state.closed })
  Object.defineProperty(gen, 'pulled', { get: () => state.pulled })
  return gen as AsyncGenerator<Chunk> & { closed: boolean; pulled: number }
}

interface Run {
  chunks: Chunk[]
  error: unknown
  decisions: ReturnType<typeof recorder>['decisions']
}

async function run(chunks: Chunk[] | AsyncIterable<Chunk>, specs: GuardrailSpec[], window: number, callType: 'chat' | 'completion' = 'chat'): Promise<Run> {
  const { decisions, sink } = recorder()
  const out: Chunk[] = []
  let error: unknown
  try {
    for await (const c of guardStream(Array.isArray(chunks) ? source(chunks) : chunks, { specs, call: callInfo(), sink, window, events: callType === 'chat' ? chatEvents : completionEvents })) out.push(c)
  } catch (err) {
    error = err
  }
  return { chunks: out, error, decisions }
}

/** The text pieces emitted for `choice`. */
function pieces(chunks: Chunk[], choice = 0): string[] {
  const out: string[] = []
  for (const c of chunks) {
    for (const ch of c.choices as Chunk[]) {
      if (ch.index !== choice) continue
      const t = ch.delta ? ch.delta.content : ch.text
      if (typeof t === 'string' && t !== '') out.push(t)
    }
  }
  return out
}

const textOf = (chunks: Chunk[], choice = 0): string => pieces(chunks, choice).join('')

function assertNoLeak(chunks: Chunk[], what: string): void {
  for (const [i, c] of chunks.entries()) assert.doesNotMatch(JSON.stringify(c), LEAK, `${what}: chunk ${i} leaks part of the word: ${JSON.stringify(c)}`)
}

/** Lowercase filler of `n` characters. */
function filler(rand: () => number, n: number): string {
  const letters = 'abcdefghilmnoprstu     '
  let s = ''
  for (let i = 0; i < n; i++) s += letters[Math.floor(rand() * letters.length)]
  return s
}

/** `text` cut into pieces of 1..max characters. */
function chop(rand: () => number, text: string, max: number): string[] {
  const out: string[] = []
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(rand() * max)
    out.push(text.slice(i, i + n))
    i += n
  }
  return out
}

function assertChatShape(chunks: Chunk[], finish: string, what: string): void {
  assert.ok(chunks.length > 0, `${what}: no chunks`)
  const last = chunks.at(-1)!
  assert.equal(last.choices[0].finish_reason, finish, `${what}: last chunk ${JSON.stringify(last)}`)
  for (const c of chunks.slice(0, -1)) assert.equal(c.choices[0].finish_reason, null, `${what}: finish before the end`)
  assert.equal(chunks[0]!.choices[0].delta.role, 'assistant', `${what}: first chunk carries the role`)
  for (const c of chunks) {
    assert.equal(c.object, 'chat.completion.chunk')
    assert.equal(c.id, UP.id)
    assert.equal(c.model, UP.model)
  }
}

describe('guardStream: masking', () => {
  test('(a) a masked word split across three chunks never appears, not even in part, and the output is the masked text', async () => {
    const rand = prng(1)
    let streams = 0
    for (const window of [WORD.length, 16, 64]) {
      // word positions spanning several release steps (a check every ~64 characters beyond the window)
      for (let prefixLen = 0; prefixLen < window + 140; prefixLen += 1 + Math.floor(rand() * 13)) {
        for (let i = 1; i < WORD.length - 1; i++) {
          for (let j = i + 1; j < WORD.length; j++) {
            {
              const mask = MASKS[streams % MASKS.length]!
              const prefix = chop(rand, filler(rand, prefixLen), 9)
              const suffix = chop(rand, filler(rand, 100), 9)
              const a = (prefix.pop() ?? '') + WORD.slice(0, i)
              const c = WORD.slice(j) + (suffix.shift() ?? '')
              const ps = [...prefix, a, WORD.slice(i, j), c, ...suffix]
              const what = `window ${window}, mask ${mask}, prefix ${prefixLen}, split ${i}/${j}`
              const r = await run(chatChunks(ps), [spec(masker(mask))], window)
              assert.equal(r.error, undefined, what)
              assertNoLeak(r.chunks, what)
              assert.equal(textOf(r.chunks), ps.join('').replaceAll(WORD, mask), what)
              assertChatShape(r.chunks, 'stop', what)
              streams++
            }
          }
        }
      }
    }
    assert.ok(streams > 1500, `only ${streams} streams tried`)
  })

  test('(a) the word arriving one character per chunk is masked too', async () => {
    const rand = prng(2)
    for (const window of [WORD.length, 20]) {
      for (let prefixLen = 0; prefixLen < 160; prefixLen += 3) {
        const text = filler(rand, prefixLen) + WORD + filler(rand, 90)
        const r = await run(chatChunks([...text]), [spec(masker('#'))], window)
        assertNoLeak(r.chunks, `window ${window} prefix ${prefixLen}`)
        assert.equal(textOf(r.chunks), text.replaceAll(WORD, '#'))
      }
    }
  })

  test('(b) in long streams (hundreds of chunks) a span that fits the window is never leaked, wherever it sits', async () => {
    for (const window of [16, 32, 256]) {
      for (let seed = 1; seed <= 5; seed++) {
        const rand = prng(seed * 97 + window)
        const body = filler(rand, 1500)
        const offsets = [0, 1, 63, 64, 65, 79, 80, 81, 127, 128, 255, 256, 257, 333, 640, 1000, 1499, 1500, Math.floor(rand() * 1500)]
        for (const at of offsets) {
          const text = body.slice(0, at) + WORD + body.slice(at)
          const ps = chop(rand, text, 6)
          assert.ok(ps.length > 300)
          const what = `window ${window} seed ${seed} offset ${at}`
          const r = await run(chatChunks(ps), [spec(masker('<masked>'))], window)
          assert.equal(r.error, undefined, what)
          assertNoLeak(r.chunks, what)
          assert.equal(textOf(r.chunks), body.slice(0, at) + '<masked>' + body.slice(at), what)
          assert.ok(r.chunks.length > 3, `${what}: released in several pieces`)
        }
      }
    }
  })

  // Real maskers use greedy patterns and word boundaries. Checked on "… jo@example.co" (the rest not arrived
  // yet) they would mask too little, and the "m.au" after it would be released later; checked on "… the secret"
  // they would mask the start of "secretary". Every span here fits the window, so the stream must give the JSON answer.
  const pii = (s: string): string => s.replace(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, '<email>').replace(/\bsecret\b/g, '<masked>')

  test('(b) a pattern matching at the edge of what arrived so far is not committed early, wherever the chunk edge falls', async () => {
    const rand = prng(16)
    let streams = 0
    for (const window of [24, 64]) {
      for (const entity of ['jo@example.com.au', 'x.y+z@mail-host.co.uk', 'secretary', 'secret']) {
        for (let prefixLen = 0; prefixLen < window + 140; prefixLen += 1 + Math.floor(rand() * 12)) {
          for (let i = 1; i < entity.length; i++) {
            const prefix = chop(rand, filler(rand, prefixLen) + ' ', 6)
            const ps = [...prefix, entity.slice(0, i), entity.slice(i), ...chop(rand, ' ' + filler(rand, 120), 6)]
            const text = ps.join('')
            const r = await run(chatChunks(ps), [spec(rewriter('pii', pii))], window)
            assert.equal(textOf(r.chunks), pii(text), `window ${window}, ${entity} split at ${i}, prefix ${prefixLen}`)
            streams++
          }
        }
      }
    }
    assert.ok(streams > 1000, `only ${streams} streams`)
  })

  test('(b) the same in long streams with many such spans (about one in ten words)', async () => {
    const vocabulary = ['the', 'secret', 'secretary', 'secrets', 'jo@example.com', 'jo@example.com.au', 'x.y+z@mail-host.co.uk']
    const plain = ['said', 'a', 'to', 'reply', 'at', 'lorem', 'ipsum', 'dolor', 'sit', 'amet', 'and', 'then', 'we', 'went', 'home']
    for (const window of [24, 32, 64]) {
      for (let seed = 1; seed <= 30; seed++) {
        const rand = prng(seed * 31 + window)
        const words: string[] = []
        while (words.join(' ').length < 1500) words.push(rand() < 0.1 ? vocabulary[Math.floor(rand() * vocabulary.length)]! : plain[Math.floor(rand() * plain.length)]!)
        const text = words.join(' ')
        // upstream chunks: word pieces (like tokens), or arbitrary cuts
        const ps = seed % 2 === 0 ? text.split(/(?=[ .@])/) : chop(rand, text, 6)
        const r = await run(chatChunks(ps), [spec(rewriter('pii', pii))], window)
        assert.equal(textOf(r.chunks), pii(text), `window ${window} seed ${seed}`)
        assert.ok(pieces(r.chunks).length > 5, 'released in several pieces')
      }
    }
  })

  test('a rewrite that adds to the end of the text is applied once, as on a JSON answer', async () => {
    const sign = (s: string): string => (s.endsWith(' [ai]') ? s : s + ' [ai]')
    const rand = prng(15)
    const text = filler(rand, 700)
    const r = await run(chatChunks(chop(rand, text, 6)), [spec(rewriter('sign', sign))], 16)
    assert.equal(textOf(r.chunks), sign(text))
  })

  test('(b) many occurrences in one long stream are all masked', async () => {
    const rand = prng(7)
    let text = ''
    for (let i = 0; i < 25; i++) text += filler(rand, Math.floor(rand() * 120)) + WORD
    for (const window of [WORD.length, 16, 64]) {
      const r = await run(chatChunks(chop(rand, text, 5)), [spec(masker('**'))], window)
      assertNoLeak(r.chunks, `window ${window}`)
      assert.equal(textOf(r.chunks), text.replaceAll(WORD, '**'))
    }
  })

  test('(b) a blocked word in a long stream: nothing of it is emitted, at any offset', async () => {
    for (const window of [16, 40]) {
      for (let seed = 1; seed <= 6; seed++) {
        const rand = prng(seed)
        const body = filler(rand, 900)
        for (const at of [0, 10, 64, 80, 200, 401, 899]) {
          const text = body.slice(0, at) + WORD + body.slice(at)
          const what = `window ${window} seed ${seed} offset ${at}`
          const r = await run(chatChunks(chop(rand, text, 6)), [spec(blocker('no-word', WORD))], window)
          assert.ok(r.error instanceof GuardrailBlocked, `${what}: ${String(r.error)}`)
          assertNoLeak(r.chunks, what)
          assert.ok(text.startsWith(textOf(r.chunks)), `${what}: emitted text is the start of the answer`)
        }
      }
    }
  })
})

describe('guardStream: blocks', () => {
  test('(c) a block before anything was released throws on the first next(), so the HTTP layer can answer a plain 400', async () => {
    const src = source(chatChunks(['hello ', WORD.slice(0, 4), WORD.slice(4), ' bye']))
    const { decisions, sink } = recorder()
    const gen = guardStream(src, { specs: [spec(blocker('no-word', WORD))], call: callInfo(), sink, window: 64, events: chatEvents })
    await assert.rejects(gen.next(), (err: unknown) => {
      assert.ok(err instanceof GuardrailBlocked, String(err))
      assert.equal(err.status, 400)
      assert.equal(err.code, 'guardrail_blocked')
      assert.equal(err.guardrail, 'no-word')
      assert.equal(err.mode, 'post_call')
      assert.equal(err.reason, `contains ${WORD}`)
      assert.match(err.message, /no-word/)
      return true
    })
    assert.equal(src.closed, true, 'the upstream stream is closed')
    assert.deepEqual(await gen.next(), { done: true, value: undefined })
    assert.deepEqual(
      decisions.map((d) => [d.guardrail, d.action]),
      [['no-word', 'block']],
    )
  })

  test('(c) a block after some text was released: the cleared text comes first, then the error; nothing of the span', async () => {
    const rand = prng(3)
    const before = filler(rand, 600)
    const ps = chop(rand, before + WORD + filler(rand, 300), 5)
    for (const window of [16, 64]) {
      const src = source(chatChunks(ps))
      const r = await run(src, [spec(blocker('no-word', WORD))], window)
      assert.ok(r.error instanceof GuardrailBlocked, String(r.error))
      const sent = textOf(r.chunks)
      assert.ok(sent.length > 0, 'some text was released before the block')
      assert.ok(before.startsWith(sent), 'what was released is the text before the word')
      assertNoLeak(r.chunks, `window ${window}`)
      assert.ok(r.chunks.every((c) => c.choices[0].finish_reason === null), 'no finish chunk before the error')
      assert.equal(src.closed, true)
      assert.ok(src.pulled < ps.length + 2, 'the upstream was not read to its end')
    }
  })

  test('(d) on_block refusal ends the stream with the refusal text and finish_reason content_filter', async () => {
    const refusal = 'Sorry, that is not something I can share.'
    const refusing = spec(blocker('no-word', WORD), { onBlock: 'refusal', refusalMessage: refusal })
    // before anything was released: the whole answer is the refusal
    const early = await run(chatChunks(['tell ', WORD, ' now']), [refusing], 64)
    assert.equal(early.error, undefined)
    assert.equal(textOf(early.chunks), refusal)
    assertChatShape(early.chunks, 'content_filter', 'early refusal')
    assertNoLeak(early.chunks, 'early refusal')
    // after some text was released: that text, then the refusal, then content_filter
    const rand = prng(4)
    const before = filler(rand, 500)
    const late = await run(chatChunks(chop(rand, before + WORD + filler(rand, 200), 5)), [refusing], 16)
    assert.equal(late.error, undefined)
    const text = textOf(late.chunks)
    assert.ok(text.endsWith(refusal), text)
    assert.ok(before.startsWith(text.slice(0, -refusal.length)))
    assert.ok(text.length > refusal.length)
    assertChatShape(late.chunks, 'content_filter', 'late refusal')
    assertNoLeak(late.chunks, 'late refusal')
    // legacy completions too
    const comp = await run(completionChunks(['tell ', WORD]), [refusing], 64, 'completion')
    assert.equal(textOf(comp.chunks), refusal)
    assert.equal(comp.chunks.at(-1)!.choices[0].finish_reason, 'content_filter')
    assert.ok(comp.chunks.every((c) => c.object === 'text_completion'))
  })

  test('a guardrail that hangs in a stream fails closed (503) under on_error block, and lets the text through recorded unevaluated under allow', async () => {
    const hang: Guardrail = { name: 'hang', checkOutput: () => new Promise<Verdict>(() => {}) }
    const ps = ['some ', 'harmless ', 'text']
    const closed = await run(chatChunks(ps), [spec(hang, { timeoutMs: 50 })], 16)
    assert.ok(closed.error instanceof GuardrailUnavailable, String(closed.error))
    assert.equal(closed.error.status, 503)
    assert.deepEqual(closed.chunks, [])
    const open = await run(chatChunks(ps), [spec(hang, { timeoutMs: 50, onError: 'allow' })], 16)
    assert.equal(open.error, undefined)
    assert.equal(textOf(open.chunks), ps.join(''))
    assert.deepEqual(
      open.decisions.map((d) => [d.guardrail, d.action, d.error]),
      [['hang', 'unevaluated', 'timeout']],
    )
  })
})

describe('guardStream: structure', () => {
  test('(e) tool-call argument deltas are reassembled, checked (a rewrite applies) and emitted once at the end with id and name', async () => {
    const seen: GuardText[][] = []
    const tc = (index: number, fn: Chunk, extra: Chunk = {}): Chunk => ({ index, ...extra, function: fn })
    const chunks = [
      chatChunk({ delta: { role: 'assistant', content: 'let me send that' } }),
      chatChunk({ delta: { tool_calls: [tc(0, { name: 'send_email', arguments: '' }, { id: 'call_a', type: 'function' })] } }),
      chatChunk({ delta: { tool_calls: [tc(0, { arguments: '{"to":"' })] } }),
      chatChunk({ delta: { tool_calls: [tc(0, { arguments: WORD.slice(0, 3) })] } }),
      chatChunk({ delta: { tool_calls: [tc(1, { name: 'lookup', arguments: '{"q":' }, { id: 'call_b', type: 'function' })] } }),
      chatChunk({ delta: { tool_calls: [tc(0, { arguments: WORD.slice(3) + '@corp.example"}' })] } }),
      chatChunk({ delta: { tool_calls: [tc(1, { arguments: '"weather"}' })] } }),
      chatChunk({ delta: {}, finish_reason: 'tool_calls' }),
    ]
    const r = await run(chunks, [spec(masker('user', seen))], 16)
    assert.equal(r.error, undefined)
    assertNoLeak(r.chunks, 'tool calls')
    const withTools = r.chunks.filter((c) => c.choices[0].delta?.tool_calls)
    assert.equal(withTools.length, 1, 'tool calls are emitted once')
    assert.deepEqual(withTools[0]!.choices[0].delta.tool_calls, [
      { index: 0, id: 'call_a', type: 'function', function: { name: 'send_email', arguments: '{"to":"user@corp.example"}' } },
      { index: 1, id: 'call_b', type: 'function', function: { name: 'lookup', arguments: '{"q":"weather"}' } },
    ])
    assert.equal(textOf(r.chunks), 'let me send that')
    // order: content, then the tool calls, then the finish
    const at = r.chunks.indexOf(withTools[0]!)
    assert.equal(at, r.chunks.length - 2)
    assertChatShape(r.chunks, 'tool_calls', 'tool calls')
    // the guardrail saw whole arguments with the tool's name
    const last = seen.at(-1)!
    assert.deepEqual(
      last.filter((t) => t.source === 'tool_call').map((t) => [t.toolName, t.text]),
      [
        ['send_email', `{"to":"${WORD}@corp.example"}`],
        ['lookup', '{"q":"weather"}'],
      ],
    )
  })

  test('(e) a block on tool-call arguments stops the stream before the tool call is emitted', async () => {
    const chunks = [
      chatChunk({ delta: { role: 'assistant', tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'run', arguments: '{"cmd":"' } }] } }),
      chatChunk({ delta: { tool_calls: [{ index: 0, function: { arguments: WORD + '"}' } }] } }),
      chatChunk({ delta: {}, finish_reason: 'tool_calls' }),
    ]
    const r = await run(chunks, [spec(blocker('no-word', WORD))], 16)
    assert.ok(r.error instanceof GuardrailBlocked)
    assert.deepEqual(r.chunks, [])
  })

  test('(e) a rewrite that drops a tool call (tool_permission) never emits it; the rest are renumbered, and with none left the finish is stop', async () => {
    const dropper = (name: string): Guardrail => ({
      name: 'dropper',
      async checkOutput(ts: GuardText[]): Promise<Verdict> {
        const drop = ts.filter((t) => t.source === 'tool_call' && t.toolName === name).map((t) => t.index)
        return drop.length ? { action: 'rewrite', texts: ts.map((t) => t.text), drop } : { action: 'allow' }
      },
    })
    const two = [
      chatChunk({ delta: { role: 'assistant', tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'shell', arguments: '{"cmd":"rm"}' } }] } }),
      chatChunk({ delta: { tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'lookup', arguments: '{"q":1}' } }] } }),
      chatChunk({ delta: {}, finish_reason: 'tool_calls' }),
    ]
    const r = await run(two, [spec(dropper('shell'))], 16)
    assert.equal(r.error, undefined)
    const calls = r.chunks.flatMap((c) => c.choices[0].delta?.tool_calls ?? [])
    assert.deepEqual(calls, [{ index: 0, id: 'call_b', type: 'function', function: { name: 'lookup', arguments: '{"q":1}' } }])
    assert.equal(r.chunks.at(-1)!.choices[0].finish_reason, 'tool_calls')
    const only = await run(two.slice(0, 1).concat(two.slice(2)), [spec(dropper('shell'))], 16)
    assert.deepEqual(only.chunks.flatMap((c) => c.choices[0].delta?.tool_calls ?? []), [])
    assert.equal(only.chunks.at(-1)!.choices[0].finish_reason, 'stop')
  })

  test('(e) a legacy function_call (functions API) is reassembled, checked and emitted once, not dropped', async () => {
    const seen: GuardText[][] = []
    const chunks = [
      chatChunk({ delta: { role: 'assistant', content: null, function_call: { name: 'send_email', arguments: '' } } }),
      chatChunk({ delta: { function_call: { arguments: '{"to":"' + WORD.slice(0, 4) } } }),
      chatChunk({ delta: { function_call: { arguments: WORD.slice(4) + '"}' } } }),
      chatChunk({ delta: {}, finish_reason: 'function_call' }),
    ]
    const r = await run(chunks, [spec(masker('user', seen))], 16)
    assert.equal(r.error, undefined)
    assertNoLeak(r.chunks, 'function_call')
    assert.equal(r.chunks.length, 2)
    assert.deepEqual(r.chunks[0]!.choices[0].delta, { role: 'assistant', function_call: { name: 'send_email', arguments: '{"to":"user"}' } })
    assert.equal(r.chunks[1]!.choices[0].finish_reason, 'function_call')
    assert.deepEqual(
      seen.at(-1)!.map((t) => [t.source, t.toolName, t.text]),
      [['tool_call', 'send_email', `{"to":"${WORD}"}`]],
    )
  })

  test('(f) two choices (n=2) are guarded independently', async () => {
    const rand = prng(5)
    const zero = filler(rand, 300) + WORD + filler(rand, 200) + WORD.slice(0, 5)
    // choice 1 starts with the rest of the word: only joined with choice 0 would it match
    const one = WORD.slice(5) + filler(rand, 400) + WORD + filler(rand, 50)
    const p0 = chop(rand, zero, 6)
    const p1 = chop(rand, one, 6)
    const chunks: Chunk[] = [chatChunk({ index: 0, delta: { role: 'assistant', content: '' } }), chatChunk({ index: 1, delta: { role: 'assistant', content: '' } })]
    for (let i = 0; i < Math.max(p0.length, p1.length); i++) {
      if (p0[i] !== undefined) chunks.push(chatChunk({ index: 0, delta: { content: p0[i] } }))
      if (p1[i] !== undefined) chunks.push(chatChunk({ index: 1, delta: { content: p1[i] } }))
    }
    chunks.push(chatChunk({ index: 0, delta: {}, finish_reason: 'stop' }), chatChunk({ index: 1, delta: {}, finish_reason: 'length' }))
    for (const window of [WORD.length, 32]) {
      const r = await run(chunks, [spec(masker('#'))], window)
      assert.equal(r.error, undefined)
      assert.equal(textOf(r.chunks, 0), zero.replaceAll(WORD, '#'))
      assert.equal(textOf(r.chunks, 1), one.replaceAll(WORD, '#'))
      for (const index of [0, 1]) {
        const mine = r.chunks.filter((c) => c.choices[0].index === index)
        assert.equal(mine[0]!.choices[0].delta.role, 'assistant', `choice ${index} starts with the role`)
        assert.equal(mine.filter((c) => c.choices[0].delta.role).length, 1, `choice ${index} has one role`)
        assert.deepEqual(
          mine.filter((c) => c.choices[0].finish_reason).map((c) => c.choices[0].finish_reason),
          [index === 0 ? 'stop' : 'length'],
        )
        assert.equal(mine.at(-1)!.choices[0].finish_reason, index === 0 ? 'stop' : 'length')
      }
      for (const c of r.chunks) assert.equal(c.choices.length, 1)
    }
  })

  test('(g) legacy completion chunks (text_completion, choices[].text) are guarded the same way', async () => {
    const rand = prng(6)
    for (const window of [WORD.length, 16, 64]) {
      const text = filler(rand, 250) + WORD + filler(rand, 120)
      const r = await run(completionChunks(chop(rand, text, 4)), [spec(masker('#'))], window, 'completion')
      assert.equal(r.error, undefined)
      assertNoLeak(r.chunks, `completion window ${window}`)
      assert.equal(textOf(r.chunks), text.replaceAll(WORD, '#'))
      for (const c of r.chunks) {
        assert.equal(c.object, 'text_completion')
        assert.equal(c.id, UP_TEXT.id)
        assert.equal(typeof c.choices[0].text, 'string')
        assert.equal(c.choices[0].delta, undefined)
      }
      assert.equal(r.chunks.at(-1)!.choices[0].finish_reason, 'length')
      assert.ok(r.chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null))
    }
  })

  test('(h) the usage chunk (choices: []) comes last, once, unchanged', async () => {
    const usage = { prompt_tokens: 5, completion_tokens: 300, total_tokens: 305 }
    const rand = prng(8)
    const text = filler(rand, 400) + WORD
    const chat = [...chatChunks(chop(rand, text, 5)).map((c) => ({ ...c, usage: null })), { ...UP, choices: [], usage }]
    const comp = [...completionChunks(chop(rand, text, 5)), { ...UP_TEXT, choices: [], usage }]
    for (const [chunks, callType] of [
      [chat, 'chat'],
      [comp, 'completion'],
    ] as const) {
      const r = await run(chunks, [spec(masker('#'))], 16, callType)
      assert.equal(r.error, undefined)
      const last = r.chunks.at(-1)!
      assert.deepEqual(last.choices, [], callType)
      assert.deepEqual(last.usage, usage)
      assert.equal(r.chunks.filter((c) => c.choices.length === 0).length, 1)
      assert.equal(r.chunks.at(-2)!.choices[0].finish_reason, callType === 'chat' ? 'stop' : 'length')
      assert.equal(textOf(r.chunks), text.replaceAll(WORD, '#'))
    }
  })

  test('(j) a surrogate pair (emoji) is never split across released chunks', async () => {
    const emoji = ['😀', '🚀', '👍🏽', '𝄞', '🇫🇷']
    for (let seed = 1; seed <= 20; seed++) {
      const rand = prng(seed)
      let text = ''
      while (text.length < 700) text += rand() < 0.7 ? emoji[Math.floor(rand() * emoji.length)] : 'ab'.slice(0, 1 + Math.floor(rand() * 2))
      // the upstream may split a pair between chunks (code-unit chopping)
      const ps = chop(rand, text, 7)
      for (const window of [16, 17, 18, 19, 31]) {
        const r = await run(chatChunks(ps), [spec(rewriter('noop', (s) => s))], window)
        assert.equal(r.error, undefined)
        const out = pieces(r.chunks)
        assert.ok(out.length > 3, 'released in several pieces')
        for (const p of out) {
          const first = p.charCodeAt(0)
          const last = p.charCodeAt(p.length - 1)
          assert.ok(!(first >= 0xdc00 && first <= 0xdfff), `seed ${seed} window ${window}: piece starts with a low surrogate`)
          assert.ok(!(last >= 0xd800 && last <= 0xdbff), `seed ${seed} window ${window}: piece ends with a high surrogate`)
        }
        assert.equal(out.join(''), text)
      }
    }
  })

  test('a stream without a word passes through unchanged, in several released pieces', async () => {
    const rand = prng(9)
    const text = filler(rand, 1000)
    const r = await run(chatChunks(chop(rand, text, 8)), [spec(masker('#'))], 16)
    assert.equal(textOf(r.chunks), text)
    assert.ok(pieces(r.chunks).length >= 10)
    assertChatShape(r.chunks, 'stop', 'pass-through')
  })
})

describe('guardStream: guardrails with their own stream scanner', () => {
  /** A scanner guardrail that records what it was pushed and blocks once its own buffer holds `word`. */
  function scanning(word: string | undefined, log: { pushes: Array<[string, number]>; ends: number; ctx?: GuardContext }, blockAtEnd = false): Guardrail {
    return {
      name: 'scan',
      openStream(ctx): StreamScanner {
        log.ctx = ctx
        const buf = new Map<number, string>()
        return {
          push(text, choice) {
            log.pushes.push([text, choice])
            const b = (buf.get(choice) ?? '') + text
            buf.set(choice, b)
            return word !== undefined && b.includes(word) ? { action: 'block', reason: 'scanner saw it' } : { action: 'allow' }
          },
          end() {
            log.ends++
            return blockAtEnd ? { action: 'block', reason: 'end says no' } : { action: 'allow' }
          },
        }
      },
    }
  }

  test('(i) the scanner sees every piece in order, before the client does', async () => {
    const rand = prng(10)
    const ps = chop(rand, filler(rand, 800), 6)
    const log = { pushes: [] as Array<[string, number]>, ends: 0, ctx: undefined as GuardContext | undefined }
    const { sink } = recorder()
    let received = 0
    const lateness: number[] = []
    const g = scanning(undefined, log)
    const inner = g.openStream!.bind(g)
    // wrap push to compare what the client already has with what was pushed before this piece
    g.openStream = (ctx) => {
      const s = inner(ctx)
      let pushedBefore = 0
      return {
        push: (text, choice) => {
          lateness.push(received - pushedBefore)
          pushedBefore += text.length
          return s.push(text, choice)
        },
        end: () => s.end(),
      }
    }
    for await (const c of guardStream(source(chatChunks(ps)), { specs: [spec(g)], call: callInfo(), sink, window: 16, events: chatEvents })) {
      received += pieces([c]).join('').length
    }
    assert.deepEqual(
      log.pushes.map(([t]) => t),
      ps,
    )
    assert.ok(log.pushes.every(([, choice]) => choice === 0))
    assert.equal(log.ends, 1)
    assert.equal(log.ctx?.mode, 'post_call')
    assert.ok(
      lateness.every((n) => n <= 0),
      'no piece reached the client before the scanner saw it',
    )
    assert.equal(received, ps.join('').length)
  })

  test('(i) a scanner can block mid-stream: nothing of the word is emitted', async () => {
    const rand = prng(11)
    const before = filler(rand, 500)
    const ps = chop(rand, before + WORD + filler(rand, 100), 3)
    const log = { pushes: [] as Array<[string, number]>, ends: 0 }
    const r = await run(chatChunks(ps), [spec(scanning(WORD, log))], 16)
    assert.ok(r.error instanceof GuardrailBlocked, String(r.error))
    assert.equal(r.error.reason, 'scanner saw it')
    assertNoLeak(r.chunks, 'scanner block')
    assert.ok(textOf(r.chunks).length > 0)
    assert.ok(before.startsWith(textOf(r.chunks)))
    assert.equal(log.ends, 0, 'end() is not called on a blocked stream')
  })

  test('(i) a scanner can block at the end: the held tail is never emitted', async () => {
    const rand = prng(12)
    const text = filler(rand, 400) + 'the-held-tail'
    const log = { pushes: [] as Array<[string, number]>, ends: 0 }
    const r = await run(chatChunks(chop(rand, text, 5)), [spec(scanning(undefined, log, true))], 16)
    assert.ok(r.error instanceof GuardrailBlocked)
    assert.equal(log.ends, 1)
    const sent = textOf(r.chunks)
    assert.ok(text.startsWith(sent))
    assert.ok(!sent.includes('tail'), sent)
  })

  test('(i) a scanner block before anything was released throws on the first next()', async () => {
    const log = { pushes: [] as Array<[string, number]>, ends: 0 }
    const gen = guardStream(source(chatChunks(['a ', WORD])), { specs: [spec(scanning(WORD, log))], call: callInfo(), sink: () => {}, window: 16, events: chatEvents })
    await assert.rejects(gen.next(), GuardrailBlocked)
  })
})

describe('guardStream: decisions', () => {
  test('(k) one folded decision per guardrail per stream, recorded when the stream ends', async () => {
    const rand = prng(13)
    let text = ''
    for (let i = 0; i < 6; i++) text += filler(rand, 150) + WORD
    const log = { pushes: 0 }
    const scanner: Guardrail = {
      name: 'scan',
      openStream: () => ({ push: () => (log.pushes++, { action: 'allow' }), end: () => ({ action: 'allow' }) }),
    }
    const flagger: Guardrail = { name: 'flag', checkOutput: async () => ({ action: 'flag', reason: 'looked odd', findings: [{ type: 'odd', index: 0 }] }) }
    const seen: GuardText[][] = []
    const { decisions, sink } = recorder()
    const gen = guardStream(source(chatChunks(chop(rand, text, 5))), {
      specs: [spec(masker('#', seen)), spec(flagger), spec(scanner)],
      call: callInfo(),
      sink,
      window: 16,
      events: chatEvents,
    })
    let during = 0
    for await (const _ of gen) during = Math.max(during, decisions.length)
    assert.equal(during, 0, 'nothing is recorded while the stream runs')
    assert.ok(seen.length >= 5, `the masker checked ${seen.length} times`)
    assert.ok(log.pushes > 100)
    assert.deepEqual(
      decisions.map((d) => [d.guardrail, d.mode, d.action]).sort(),
      [
        ['flag', 'post_call', 'flag'],
        ['mask', 'post_call', 'rewrite'],
        ['scan', 'post_call', 'allow'],
      ],
    )
    const flag = decisions.find((d) => d.guardrail === 'flag')!
    assert.equal(flag.reason, 'looked odd')
    assert.equal(flag.findings, seen.length, 'findings are summed over the checks')
    assert.ok(decisions.find((d) => d.guardrail === 'mask')!.findings >= 6, 'findings are summed over the checks')
    for (const d of decisions) assert.ok(d.ms >= 0)
  })

  test('(k) a blocked stream records one block decision; an abandoned one still records its decisions', async () => {
    const rand = prng(14)
    const text = filler(rand, 400) + WORD + filler(rand, 100)
    const blocked = await run(chatChunks(chop(rand, text, 5)), [spec(blocker('no-word', WORD)), spec(masker('#'))], 16)
    assert.ok(blocked.error instanceof GuardrailBlocked)
    assert.deepEqual(
      blocked.decisions.map((d) => [d.guardrail, d.action]).sort(),
      [
        ['mask', 'allow'],
        ['no-word', 'block'],
      ],
    )

    const { decisions, sink } = recorder()
    const src = source(chatChunks(chop(rand, filler(rand, 600), 5)))
    for await (const _ of guardStream(src, { specs: [spec(masker('#'))], call: callInfo(), sink, window: 16, events: chatEvents })) break
    assert.equal(src.closed, true)
    assert.deepEqual(
      decisions.map((d) => [d.guardrail, d.action]),
      [['mask', 'allow']],
    )
  })
})

function completionChunks(pieces: string[], finish = 'length'): Chunk[] {
  return [
    ...pieces.map((p) => ({ ...UP_TEXT, choices: [{ index: 0, text: p, finish_reason: null, logprobs: null }] })),
    { ...UP_TEXT, choices: [{ index: 0, text: '', finish_reason: finish, logprobs: null }] },
  ]
}
