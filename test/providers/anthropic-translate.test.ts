import { test } from 'node:test'
import assert from 'node:assert/strict'
import { GatewayError, UpstreamError } from '../../src/errors.ts'
import {
  AnthropicStreamTranslator,
  chatChunkToCompletion,
  completionToChatRequest,
  fromAnthropicResponse,
  toAnthropicRequest,
} from '../../src/providers/anthropic-translate.ts'
import type { ChatChunk, ChatRequest } from '../../src/providers/types.ts'

const req = (extra: Partial<ChatRequest>): ChatRequest => ({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], ...extra })

test('system and developer messages become one top-level system prompt', () => {
  const out = toAnthropicRequest(
    req({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
        { role: 'user', content: 'hello' },
      ],
    }),
    'claude-3-5-haiku',
  )
  assert.equal(out.system, 'Be brief.\n\nAnswer in French.')
  assert.equal(out.model, 'claude-3-5-haiku')
  assert.deepEqual(out.messages, [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }])
})

test('consecutive messages of one role are merged so roles alternate', () => {
  const out = toAnthropicRequest(
    req({
      messages: [
        { role: 'user', content: 'one' },
        { role: 'user', content: 'two' },
        { role: 'assistant', content: 'three' },
        { role: 'assistant', content: '' },
        { role: 'user', content: 'four' },
      ],
    }),
    'm',
  )
  assert.deepEqual(
    out.messages.map((m) => [m.role, m.content.map((b) => (b.type === 'text' ? b.text : b.type))]),
    [
      ['user', ['one', 'two']],
      ['assistant', ['three']],
      ['user', ['four']],
    ],
  )
})

test('image parts: data URLs become base64 sources, http URLs url sources, others are refused', () => {
  const out = toAnthropicRequest(
    req({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    }),
    'm',
  )
  assert.deepEqual(out.messages[0]?.content, [
    { type: 'text', text: 'what is this?' },
    { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
    { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
  ])
  assert.throws(
    () => toAnthropicRequest(req({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }] }), 'm'),
    (e: unknown) => e instanceof GatewayError && e.status === 400,
  )
})

test('assistant tool calls become tool_use blocks and tool messages one user turn of tool_results', () => {
  const out = toAnthropicRequest(
    req({
      messages: [
        { role: 'user', content: 'weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'rainy' }] },
      ],
    }),
    'm',
  )
  assert.deepEqual(out.messages.slice(1), [
    {
      role: 'assistant',
      content: [
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Rome' } },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'call_1', content: 'sunny' },
        { type: 'tool_result', tool_use_id: 'call_2', content: [{ type: 'text', text: 'rainy' }] },
      ],
    },
  ])
})

test('tool call arguments that are not JSON are a 400 naming the call', () => {
  assert.throws(
    () =>
      toAnthropicRequest(
        req({
          messages: [
            { role: 'user', content: 'x' },
            { role: 'assistant', tool_calls: [{ id: 'call_bad', type: 'function', function: { name: 'f', arguments: '{city:' } }] },
          ],
        }),
        'm',
      ),
    (e: unknown) => e instanceof GatewayError && e.status === 400 && e.message.includes('call_bad') && e.message.includes('f'),
  )
})

test('max_tokens comes from max_tokens, then max_completion_tokens, then 4096', () => {
  assert.equal(toAnthropicRequest(req({ max_tokens: 10, max_completion_tokens: 20 }), 'm').max_tokens, 10)
  assert.equal(toAnthropicRequest(req({ max_completion_tokens: 20 }), 'm').max_tokens, 20)
  assert.equal(toAnthropicRequest(req({}), 'm').max_tokens, 4096)
})

test('sampling, stop, user and stream map to their Anthropic names; OpenAI-only fields are dropped', () => {
  const out = toAnthropicRequest(
    req({
      temperature: 0.2,
      top_p: 0.9,
      stop: 'END',
      user: 'u-42',
      stream: true,
      stream_options: { include_usage: true },
      presence_penalty: 1,
      frequency_penalty: 1,
      logprobs: true,
      response_format: { type: 'json_object' },
      seed: 7,
      n: 1,
    }),
    'm',
  )
  assert.deepEqual(out, {
    model: 'm',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    max_tokens: 4096,
    temperature: 0.2,
    top_p: 0.9,
    stop_sequences: ['END'],
    metadata: { user_id: 'u-42' },
    stream: true,
  })
  assert.deepEqual(toAnthropicRequest(req({ stop: ['a', 'b'] }), 'm').stop_sequences, ['a', 'b'])
})

test('n > 1 is refused with a 400', () => {
  assert.throws(() => toAnthropicRequest(req({ n: 2 }), 'm'), (e: unknown) => e instanceof GatewayError && e.status === 400 && e.param === 'n')
})

test('tools and every tool_choice form are translated', () => {
  const tools: ChatRequest['tools'] = [
    { type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
    { type: 'function', function: { name: 'ping' } },
  ]
  const out = toAnthropicRequest(req({ tools }), 'm')
  assert.deepEqual(out.tools, [
    { name: 'get_weather', description: 'Weather now', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
    { name: 'ping', input_schema: { type: 'object', properties: {} } },
  ])
  assert.equal(out.tool_choice, undefined)
  const choice = (tool_choice: ChatRequest['tool_choice'], extra: Partial<ChatRequest> = {}) =>
    toAnthropicRequest(req({ tools, tool_choice, ...extra }), 'm').tool_choice
  assert.deepEqual(choice('auto'), { type: 'auto' })
  assert.deepEqual(choice('required'), { type: 'any' })
  assert.deepEqual(choice('none'), { type: 'none' })
  assert.deepEqual(choice({ type: 'function', function: { name: 'ping' } }), { type: 'tool', name: 'ping' })
  assert.deepEqual(choice('auto', { parallel_tool_calls: false }), { type: 'auto', disable_parallel_tool_use: true })
})

test('a response becomes a chat.completion with text, tool calls, finish reason and summed usage', () => {
  const c = fromAnthropicResponse({
    id: 'msg_1',
    model: 'claude-3-5-haiku-20241022',
    content: [
      { type: 'text', text: 'Let me ' },
      { type: 'text', text: 'check.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
    ],
    stop_reason: 'tool_use',
    usage: { input_tokens: 10, cache_creation_input_tokens: 2, cache_read_input_tokens: 3, output_tokens: 7 },
  })
  assert.equal(c.id, 'chatcmpl-msg_1')
  assert.equal(c.object, 'chat.completion')
  assert.equal(c.model, 'claude-3-5-haiku-20241022')
  assert.ok(Math.abs(c.created - Date.now() / 1000) < 5)
  assert.deepEqual(c.choices[0]?.message, {
    role: 'assistant',
    content: 'Let me check.',
    tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
  })
  assert.equal(c.choices[0]?.finish_reason, 'tool_calls')
  assert.deepEqual(c.usage, { prompt_tokens: 15, completion_tokens: 7, total_tokens: 22 })
})

test('content is null when there are only tool calls; stop reasons map to OpenAI finish reasons', () => {
  const only = fromAnthropicResponse({ id: 'm', model: 'c', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }], stop_reason: 'tool_use' })
  assert.equal(only.choices[0]?.message.content, null)
  const finish = (stop_reason: string) =>
    fromAnthropicResponse({ id: 'm', model: 'c', content: [{ type: 'text', text: 'x' }], stop_reason }).choices[0]?.finish_reason
  assert.equal(finish('end_turn'), 'stop')
  assert.equal(finish('stop_sequence'), 'stop')
  assert.equal(finish('max_tokens'), 'length')
  assert.equal(finish('refusal'), 'content_filter')
})

/** Feeds Anthropic events (by data) to a translator and gathers the chunks. */
function translate(events: object[], includeUsage = false): ChatChunk[] {
  const t = new AnthropicStreamTranslator({ includeUsage })
  const chunks = events.flatMap((e) => t.push({ event: (e as { type: string }).type, data: JSON.stringify(e) }))
  assert.equal(t.done, true, 'translator saw message_stop')
  return chunks
}

const start = { type: 'message_start', message: { id: 'msg_s', model: 'claude-x', usage: { input_tokens: 9, cache_read_input_tokens: 1, output_tokens: 1 } } }
const stop = (reason: string, output: number) => [
  { type: 'message_delta', delta: { stop_reason: reason, stop_sequence: null }, usage: { output_tokens: output } },
  { type: 'message_stop' },
]

test('stream: role first, text deltas as content, finish reason last, no usage unless asked', () => {
  const chunks = translate([
    start,
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'ping' },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo' } },
    { type: 'content_block_stop', index: 0 },
    ...stop('max_tokens', 2),
  ])
  assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant')
  assert.ok(chunks.every((c) => c.id === 'chatcmpl-msg_s' && c.model === 'claude-x' && c.object === 'chat.completion.chunk'))
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Hello')
  assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'length')
  assert.ok(chunks.every((c) => c.usage === undefined))
})

test('stream: tool_use blocks become tool_calls deltas indexed from 0 whatever the block index', () => {
  const chunks = translate([
    start,
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Checking.' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_9', name: 'get_weather', input: {} } },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"ci' } },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: 'ty":"Oslo"}' } },
    { type: 'content_block_stop', index: 1 },
    ...stop('tool_use', 5),
  ])
  const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])
  assert.deepEqual(deltas[0], { index: 0, id: 'toolu_9', type: 'function', function: { name: 'get_weather', arguments: '' } })
  assert.ok(deltas.every((d) => d.index === 0))
  assert.deepEqual(JSON.parse(deltas.map((d) => d.function?.arguments ?? '').join('')), { city: 'Oslo' })
  assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'tool_calls')
})

test('stream: include_usage adds one final chunk without choices, counting message_start input and message_delta output', () => {
  const chunks = translate([start, { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, ...stop('end_turn', 4)], true)
  const last = chunks.at(-1)
  assert.deepEqual(last?.choices, [])
  assert.deepEqual(last?.usage, { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 })
  assert.ok(chunks.slice(0, -1).every((c) => c.usage === null && c.choices.length === 1))
})

test('stream: an error event throws an UpstreamError; overloaded is a 503', () => {
  const t = new AnthropicStreamTranslator({ includeUsage: false })
  t.push({ event: 'message_start', data: JSON.stringify(start) })
  assert.throws(
    () => t.push({ event: 'error', data: JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }) }),
    (e: unknown) => e instanceof UpstreamError && e.status === 503 && e.message === 'Overloaded',
  )
  assert.throws(
    () => t.push({ event: 'error', data: JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'Internal' } }) }),
    (e: unknown) => e instanceof UpstreamError && e.status === 502 && e.message === 'Internal',
  )
  assert.throws(() => t.push({ event: 'x', data: 'not json' }), (e: unknown) => e instanceof UpstreamError && e.failure === 'protocol')
})

test('legacy completions: one prompt becomes one user message; chunks become text_completion pieces', () => {
  const chat = completionToChatRequest({ model: 'c', prompt: ['Say hi'], max_tokens: 5, echo: true, suffix: 'x' })
  assert.deepEqual(chat, { model: 'c', messages: [{ role: 'user', content: 'Say hi' }], max_tokens: 5 })
  assert.throws(() => completionToChatRequest({ model: 'c', prompt: ['a', 'b'] }), (e: unknown) => e instanceof GatewayError && e.status === 400)
  const base = { id: 'chatcmpl-msg_1', object: 'chat.completion.chunk' as const, created: 1, model: 'c' }
  assert.equal(chatChunkToCompletion({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }), null)
  assert.deepEqual(chatChunkToCompletion({ ...base, choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }] }), {
    id: 'cmpl-msg_1',
    object: 'text_completion',
    created: 1,
    model: 'c',
    choices: [{ index: 0, text: 'hi', finish_reason: null, logprobs: null }],
  })
})
