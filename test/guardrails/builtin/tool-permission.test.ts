import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createToolPermission } from '../../../src/guardrails/builtin/tool-permission.ts'
import { ParamError } from '../../../src/guardrails/factory.ts'
import type { GuardContext, GuardText, Guardrail, Verdict } from '../../../src/guardrails/types.ts'

const ctx = (request: Record<string, unknown> = {}): GuardContext => ({
  requestId: 'r',
  model: 'm',
  callType: 'chat',
  mode: 'pre_call',
  signal: new AbortController().signal,
  caller: {},
  requestMetadata: {},
  request,
})
const make = async (params: Record<string, unknown>): Promise<Guardrail> => createToolPermission(params, { name: 'tp', configDir: '/' })
const tool = (name: string) => ({ type: 'function', function: { name, parameters: { type: 'object' } } })
const calls = (...c: Array<[string, unknown]>): GuardText[] =>
  c.map(([name, args], index) => ({ index, text: JSON.stringify(args), source: 'tool_call', toolName: name }))
const offered = async (g: Guardrail, ...names: string[]): Promise<Verdict> => g.checkInput!([], ctx({ tools: names.map(tool) }))

// LiteLLM's documented config, unchanged
const LITELLM_RULES = {
  rules: [
    { id: 'allow_bash', tool_name: 'Bash', decision: 'allow' },
    { id: 'allow_github_mcp', tool_name: 'mcp__github_*', decision: 'allow' },
    { id: 'deny_read_commands', tool_name: 'Read', decision: 'Deny' },
    { id: 'mail-domain', tool_name: 'send_email', decision: 'allow', allowed_param_patterns: { 'to[]': '^.+@berri\\.ai$', subject: '^.{1,120}$' } },
  ],
  default_action: 'deny',
  on_disallowed_action: 'block',
}

test('LiteLLM rules: exact and glob names, deny rules, and the default action', async () => {
  const g = await make(LITELLM_RULES)
  assert.equal((await offered(g, 'Bash', 'mcp__github_create_issue')).action, 'allow')
  const read = await offered(g, 'Bash', 'Read')
  assert.equal(read.action, 'block')
  assert.match(read.action === 'block' ? read.reason : '', /tool 'Read' denied by rule deny_read_commands/)
  const other = await offered(g, 'get_weather')
  assert.match(other.action === 'block' ? other.reason : '', /tool 'get_weather' denied by default action/)
})

test('argument rules: every value at a dot/[] path must match', async () => {
  const g = await make(LITELLM_RULES)
  const ok = await g.checkOutput!(calls(['send_email', { to: ['a@berri.ai', 'b@berri.ai'], subject: 'hi' }]), ctx())
  assert.equal(ok.action, 'allow')
  const bad = await g.checkOutput!(calls(['send_email', { to: ['a@berri.ai', 'eve@evil.com'], subject: 'hi' }]), ctx())
  assert.equal(bad.action, 'block')
  assert.match(bad.action === 'block' ? bad.reason : '', /argument to\.\[\] does not match the allowed pattern of rule mail-domain/)
})

test('a response tool call that is not allowed: block, or rewrite that drops just that call', async () => {
  const texts: GuardText[] = [{ index: 0, text: 'Let me look.', source: 'completion' }, ...calls(['Bash', { cmd: 'ls' }], ['Read', { path: '/etc/passwd' }]).map((t) => ({ ...t, index: t.index + 1 }))]
  const blocked = await (await make(LITELLM_RULES)).checkOutput!(texts, ctx())
  assert.equal(blocked.action, 'block')
  const rewritten = await (await make({ ...LITELLM_RULES, on_disallowed_action: 'rewrite' })).checkOutput!(texts, ctx())
  assert.equal(rewritten.action, 'rewrite')
  if (rewritten.action !== 'rewrite') return
  assert.deepEqual(rewritten.drop, [2], 'only the Read call goes')
  assert.deepEqual(rewritten.texts, texts.map((t) => t.text))
})

test('rewrite on the way in removes disallowed tools from the request; none left removes tool_choice too', async () => {
  const g = await make({ allow: ['search_*'], on_disallowed: 'rewrite' })
  const some = await offered(g, 'search_web', 'shell')
  assert.equal(some.action, 'rewrite')
  assert.deepEqual(some.action === 'rewrite' ? some.params : undefined, { tools: [tool('search_web')] })
  const none = await offered(g, 'shell')
  assert.deepEqual(none.action === 'rewrite' ? none.params : undefined, { tools: null, tool_choice: null, parallel_tool_calls: null })
})

test('deny lists alone leave every other tool allowed; deny wins over allow', async () => {
  const g = await make({ deny: ['shell', 'fs_*'] })
  assert.equal((await offered(g, 'search')).action, 'allow')
  assert.equal((await offered(g, 'fs_write')).action, 'block')
  const both = await make({ allow: ['*'], deny: ['shell'] })
  assert.equal((await offered(both, 'shell')).action, 'block')
  assert.equal((await offered(both, 'anything')).action, 'allow')
})

test('^regex$ tool names and the violation message template', async () => {
  const g = await make({ rules: [{ id: 'gh', tool_name: '^mcp__github_.*$', decision: 'allow' }], violation_message_template: 'policy forbids {tool_name} ({rule_id})' })
  assert.equal((await offered(g, 'mcp__github_x')).action, 'allow')
  const v = await offered(g, 'mcp__slack_x')
  assert.equal(v.action === 'block' ? v.reason : '', 'policy forbids mcp__slack_x (None)')
})

test('bad params name their key; regexes RE2 cannot run are refused at load', async () => {
  await assert.rejects(make({}), (e: unknown) => e instanceof ParamError && e.key === 'rules')
  await assert.rejects(make({ rules: [{ tool_name: 'x', decision: 'maybe' }] }), (e: unknown) => e instanceof ParamError && e.key === 'rules.0.decision')
  await assert.rejects(
    make({ rules: [{ tool_name: 'x', decision: 'allow', allowed_param_patterns: { a: '(a)\\1' } }] }),
    (e: unknown) => e instanceof ParamError && e.key === 'rules.0.allowed_param_patterns.a' && /not a valid RE2 regex/.test(e.message),
  )
})
