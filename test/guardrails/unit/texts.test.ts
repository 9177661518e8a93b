// Text extraction and write-back: every text a guardrail must see is in the
// list, in a fixed order, with its source; nothing else is; and writing back
// changes exactly the rewritten texts, in place.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { applyRequestTexts, applyResponseTexts, extractRequestTexts, extractResponseTexts } from '../../../src/protocols/chat/texts.ts'
import type { GuardText } from '../../../src/guardrails/types.ts'

type Body = Record<string, unknown>

/** [text, source, toolName?] of each extracted text; also checks index = position. */
function summary(list: GuardText[]): Array<[string, string] | [string, string, string]> {
  list.forEach((t, i) => assert.equal(t.index, i, `index of text ${i}`))
  return list.map((t) => (t.toolName === undefined ? [t.text, t.source] : [t.text, t.source, t.toolName]))
}

/** The same list with the texts at `which` replaced by `fn(text)`. */
function rewrite(list: GuardText[], which: number[], fn: (s: string) => string): GuardText[] {
  return list.map((t) => (which.includes(t.index) ? { ...t, text: fn(t.text) } : t))
}

const chatRequest = (): Body => ({
  model: 'gpt',
  temperature: 0.2,
  x_vendor: { keep: ['me', 'as', 'is'] },
  messages: [
    { role: 'system', content: 'be terse' },
    { role: 'developer', content: 'dev rules' },
    { role: 'user', content: 'hello there', name: 'alice' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'part one' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' }, text: 'not a text part' },
        { type: 'text', text: 'part two', cache_control: { type: 'ephemeral' } },
      ],
    },
    {
      role: 'assistant',
      content: 'calling tools',
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_2', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1', content: 'sunny, 21C' },
    { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'lookup result' }] },
    { role: 'user', content: '' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_3', type: 'function', function: { name: 'noop', arguments: '' } }] },
    { role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'last words' }] },
  ],
})

const chatSummary = [
  ['be terse', 'system'],
  ['dev rules', 'system'],
  ['hello there', 'user'],
  ['part one', 'user'],
  ['part two', 'user'],
  ['calling tools', 'assistant'],
  ['{"city":"Paris"}', 'tool_call_arguments', 'get_weather'],
  ['{"q":"x"}', 'tool_call_arguments', 'lookup'],
  ['sunny, 21C', 'tool_result'],
  ['lookup result', 'tool_result'],
  ['last words', 'user'],
]

describe('request texts', () => {
  test('chat: system/developer, user strings and text parts (images and empty texts skipped), assistant content, tool-call arguments with the tool name, tool results — in message order', () => {
    assert.deepEqual(summary(extractRequestTexts('chat', chatRequest())), chatSummary)
  })

  test('chat write-back changes exactly the rewritten texts, in place, and leaves everything else as it was', () => {
    const body = chatRequest()
    const messages = body.messages as Body[]
    const original = structuredClone(body)
    const list = extractRequestTexts('chat', body)
    // one of each kind, including the texts right after skipped (empty) ones
    applyRequestTexts('chat', body, rewrite(list, [0, 4, 6, 9, 10], (s) => s.toUpperCase()))

    const expected = structuredClone(original)
    const em = expected.messages as Array<Record<string, any>>
    em[0]!.content = 'BE TERSE'
    em[3]!.content[2].text = 'PART TWO'
    em[4]!.tool_calls[0].function.arguments = '{"CITY":"PARIS"}'
    em[6]!.content[0].text = 'LOOKUP RESULT'
    em[9]!.content[1].text = 'LAST WORDS'
    assert.deepEqual(body, expected)
    // in place: the same message objects, not copies
    assert.equal(body.messages, messages)
    assert.equal((body.messages as Body[])[0], messages[0])
  })

  test('write-back of the unchanged list leaves the body identical', () => {
    const body = chatRequest()
    const original = structuredClone(body)
    applyRequestTexts('chat', body, extractRequestTexts('chat', body))
    assert.deepEqual(body, original)
  })

  test('a rewrite to an empty string is written back and does not shift the texts after it', () => {
    const body = chatRequest()
    const list = extractRequestTexts('chat', body)
    applyRequestTexts('chat', body, rewrite(list, [2], () => '').map((t) => (t.index === 3 ? { ...t, text: 'PART ONE' } : t)))
    const m = body.messages as Array<Record<string, any>>
    assert.equal(m[2]!.content, '')
    assert.equal(m[3]!.content[0].text, 'PART ONE')
    assert.equal(m[3]!.content[2].text, 'part two')
  })

  test('a write-back with the wrong number of texts throws', () => {
    for (const mutate of [(l: GuardText[]) => l.slice(1), (l: GuardText[]) => [...l, { index: l.length, text: 'extra', source: 'user' as const }]]) {
      const body = chatRequest()
      assert.throws(() => applyRequestTexts('chat', body, mutate(extractRequestTexts('chat', body))), /write-back/)
    }
    const body = { model: 'm', prompt: 'abc' }
    assert.throws(() => applyRequestTexts('completion', body, []), /write-back/)
  })

  test('chat: legacy function_call arguments in the history are checked like tool-call arguments, and written back', () => {
    const body = {
      model: 'gpt',
      messages: [
        { role: 'user', content: 'mail bob' },
        { role: 'assistant', content: null, function_call: { name: 'send_mail', arguments: '{"to":"bob@corp.example"}' } },
        { role: 'function', name: 'send_mail', content: 'sent' },
      ],
    }
    const list = extractRequestTexts('chat', body)
    assert.deepEqual(summary(list), [
      ['mail bob', 'user'],
      ['{"to":"bob@corp.example"}', 'tool_call_arguments', 'send_mail'],
      ['sent', 'tool_result'],
    ])
    applyRequestTexts('chat', body, rewrite(list, [1], () => '{"to":"<email>"}'))
    assert.deepEqual(body.messages[1], { role: 'assistant', content: null, function_call: { name: 'send_mail', arguments: '{"to":"<email>"}' } })
    assert.equal(body.messages[2]!.content, 'sent')
  })

  test('completion: prompt as a string and as a list of strings (empty ones skipped); token arrays are not text', () => {
    assert.deepEqual(summary(extractRequestTexts('completion', { model: 'm', prompt: 'once upon', suffix: 'x' })), [['once upon', 'prompt']])
    const body = { model: 'm', prompt: ['first', '', 'third'] }
    const list = extractRequestTexts('completion', body)
    assert.deepEqual(summary(list), [
      ['first', 'prompt'],
      ['third', 'prompt'],
    ])
    applyRequestTexts('completion', body, rewrite(list, [1], () => 'THIRD'))
    assert.deepEqual(body.prompt, ['first', '', 'THIRD'])
    assert.deepEqual(extractRequestTexts('completion', { model: 'm', prompt: [1, 2, 3] }), [])
    assert.deepEqual(extractRequestTexts('completion', { model: 'm', prompt: [[1, 2], [3]] }), [])
    assert.deepEqual(extractRequestTexts('completion', { model: 'm', prompt: '' }), [])
  })

  test('embeddings: input as a string and as a list of strings; token arrays are not text', () => {
    assert.deepEqual(summary(extractRequestTexts('embeddings', { model: 'e', input: 'embed me' })), [['embed me', 'embedding_input']])
    const body = { model: 'e', input: ['a', 'b', '', 'c'], dimensions: 8 }
    const list = extractRequestTexts('embeddings', body)
    assert.deepEqual(summary(list), [
      ['a', 'embedding_input'],
      ['b', 'embedding_input'],
      ['c', 'embedding_input'],
    ])
    applyRequestTexts('embeddings', body, rewrite(list, [0, 2], (s) => s + '!'))
    assert.deepEqual(body, { model: 'e', input: ['a!', 'b', '', 'c!'], dimensions: 8 })
    assert.deepEqual(extractRequestTexts('embeddings', { model: 'e', input: [5, 6] }), [])
    assert.deepEqual(extractRequestTexts('embeddings', { model: 'e', input: [[5], [6]] }), [])
  })
})

const chatAnswer = (): Body => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: 'first answer',
        tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'send_mail', arguments: '{"to":"a@b.c"}' } }],
      },
      finish_reason: 'tool_calls',
      logprobs: null,
    },
    { index: 1, message: { role: 'assistant', content: '' }, finish_reason: 'stop' },
    { index: 2, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_10', type: 'function', function: { name: 'ping', arguments: '{}' } }] }, finish_reason: 'tool_calls' },
    { index: 3, message: { role: 'assistant', content: 'fourth answer', refusal: null }, finish_reason: 'stop' },
  ],
})

describe('answer texts', () => {
  test("chat: every choice's content and tool-call arguments (with the tool name), in choice order", () => {
    assert.deepEqual(summary(extractResponseTexts('chat', chatAnswer())), [
      ['first answer', 'completion'],
      ['{"to":"a@b.c"}', 'tool_call', 'send_mail'],
      ['{}', 'tool_call', 'ping'],
      ['fourth answer', 'completion'],
    ])
  })

  test('chat write-back changes exactly the rewritten texts and leaves the rest (usage, finish reasons, ids) untouched', () => {
    const body = chatAnswer()
    const expected = structuredClone(body) as Record<string, any>
    applyResponseTexts('chat', body, rewrite(extractResponseTexts('chat', body), [1, 3], (s) => s.replace(/a/g, '#')))
    expected.choices[0].message.tool_calls[0].function.arguments = '{"to":"#@b.c"}'
    expected.choices[3].message.content = 'fourth #nswer'
    assert.deepEqual(body, expected)
  })

  test('chat: a legacy function_call answer is checked and rewritten like a tool call', () => {
    const body = { choices: [{ index: 0, message: { role: 'assistant', content: null, function_call: { name: 'f', arguments: '{"secret":1}' } }, finish_reason: 'function_call' }] }
    const list = extractResponseTexts('chat', body)
    assert.deepEqual(summary(list), [['{"secret":1}', 'tool_call', 'f']])
    applyResponseTexts('chat', body, rewrite(list, [0], () => '{}'))
    assert.equal(body.choices[0]!.message.function_call.arguments, '{}')
  })

  test('completion: every choice text; empty ones skipped; write-back in place', () => {
    const body = {
      object: 'text_completion',
      choices: [
        { index: 0, text: 'alpha', finish_reason: 'stop', logprobs: null },
        { index: 1, text: '', finish_reason: 'stop', logprobs: null },
        { index: 2, text: 'gamma', finish_reason: 'length', logprobs: null },
      ],
    }
    const list = extractResponseTexts('completion', body)
    assert.deepEqual(summary(list), [
      ['alpha', 'completion'],
      ['gamma', 'completion'],
    ])
    applyResponseTexts('completion', body, rewrite(list, [1], () => 'GAMMA'))
    assert.deepEqual(
      body.choices.map((c) => c.text),
      ['alpha', '', 'GAMMA'],
    )
    assert.throws(() => applyResponseTexts('completion', body, list.slice(0, 1)), /write-back/)
  })

  test('embedding answers have no texts', () => {
    assert.deepEqual(extractResponseTexts('embeddings', { object: 'list', data: [{ embedding: [0.1], index: 0 }] }), [])
  })
})
