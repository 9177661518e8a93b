// `tool_permission`: which tools a model may be offered and may call, in
// LiteLLM's format. Rules match tool names (exact, glob with * and ?, or a
// ^regex$); deny rules win over allow rules; a tool no rule names gets
// `default_action`. An allow rule may constrain arguments with
// `allowed_param_patterns` (dot/[] paths → regex, run by RE2: linear time).
// Disallowed tools are refused (block) or removed (rewrite): from the request's
// `tools` before the model sees them, from the answer's `tool_calls` after.
import { RE2JS } from 're2js'
import { z } from 'zod'
import { parseParams } from '../params.ts'
import { ParamError, type GuardrailFactory } from '../factory.ts'
import type { Guardrail, GuardText, Verdict } from '../types.ts'

const decision = z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(['allow', 'deny']))

const Rule = z.object({
  id: z.string().optional(),
  tool_name: z.string().min(1),
  decision,
  allowed_param_patterns: z.record(z.string(), z.string()).optional(),
})

const Params = z.object({
  rules: z.array(Rule).default([]),
  // shorthand lists: `allow: [search_*]`, `deny: [shell]`
  allow: z.array(z.string().min(1)).default([]),
  deny: z.array(z.string().min(1)).default([]),
  default_action: decision.optional(),
  on_disallowed_action: z.enum(['block', 'rewrite']).optional(),
  on_disallowed: z.enum(['block', 'rewrite']).optional(),
  violation_message_template: z.string().optional(),
})

interface CompiledRule {
  id: string
  decision: 'allow' | 'deny'
  name: (tool: string) => boolean
  params: Array<{ path: string[]; re: RE2JS }>
}

export const createToolPermission: GuardrailFactory = (params) => {
  const p = parseParams(Params, params)
  const rules: CompiledRule[] = [
    ...p.rules.map((r, i) => compileRule(r.id ?? `rule_${i}`, r.tool_name, r.decision, r.allowed_param_patterns, `rules.${i}`)),
    ...p.deny.map((n, i) => compileRule(`deny_${i}`, n, 'deny', undefined, `deny.${i}`)),
    ...p.allow.map((n, i) => compileRule(`allow_${i}`, n, 'allow', undefined, `allow.${i}`)),
  ]
  if (rules.length === 0) throw new ParamError('rules', 'tool_permission needs `rules` (or `allow` / `deny` lists)')
  // With allow rules the intent is an allowlist; with only deny rules, a denylist.
  const fallback = p.default_action ?? (rules.some((r) => r.decision === 'allow') ? 'deny' : 'allow')
  const onDisallowed = p.on_disallowed_action ?? p.on_disallowed ?? 'block'
  const message = (tool: string, ruleId: string | undefined, why: string): string =>
    p.violation_message_template
      ? p.violation_message_template.replaceAll('{tool_name}', tool).replaceAll('{rule_id}', ruleId ?? 'None').replaceAll('{default_message}', why)
      : why

  /** undefined when allowed, else why not */
  const verdictFor = (tool: string, args: unknown): { why: string; rule: string | undefined } | undefined => {
    const denied = rules.find((r) => r.decision === 'deny' && r.name(tool))
    if (denied) return { why: `tool '${tool}' denied by rule ${denied.id}`, rule: denied.id }
    const allowed = rules.find((r) => r.decision === 'allow' && r.name(tool))
    if (!allowed) return fallback === 'allow' ? undefined : { why: `tool '${tool}' denied by default action`, rule: undefined }
    if (args === undefined) return undefined
    for (const { path, re } of allowed.params) {
      for (const value of valuesAt(args, path)) {
        const text = typeof value === 'string' ? value : JSON.stringify(value)
        if (!re.test(text)) return { why: `tool '${tool}' argument ${path.join('.')} does not match the allowed pattern of rule ${allowed.id}`, rule: allowed.id }
      }
    }
    return undefined
  }

  const guardrail: Guardrail = {
    // the tools a request offers the model
    async checkInput(texts: GuardText[], ctx): Promise<Verdict> {
      const tools = Array.isArray(ctx.request.tools) ? (ctx.request.tools as Array<{ function?: { name?: unknown } }>) : []
      if (tools.length === 0) return { action: 'allow' }
      const refused = tools.map((t) => ({ t, no: verdictFor(String(t.function?.name ?? ''), undefined) })).filter((x) => x.no)
      if (refused.length === 0) return { action: 'allow' }
      const first = refused[0]?.no
      const reason = message(String(refused[0]?.t.function?.name ?? ''), first?.rule, first?.why ?? 'tool not allowed')
      if (onDisallowed === 'block') return { action: 'block', reason, code: 'tool_not_allowed' }
      const kept = tools.filter((t) => !refused.some((r) => r.t === t))
      return {
        action: 'rewrite',
        texts: texts.map((t) => t.text),
        reason: `removed ${refused.length} disallowed tool(s)`,
        // no tools left: tool_choice would point at nothing
        params: kept.length > 0 ? { tools: kept } : { tools: null, tool_choice: null, parallel_tool_calls: null },
      }
    },
    // the tool calls a model answers with
    async checkOutput(texts: GuardText[]): Promise<Verdict> {
      const drop: number[] = []
      let reason = ''
      for (const t of texts) {
        if (t.source !== 'tool_call') continue
        let args: unknown
        try {
          args = JSON.parse(t.text)
        } catch {
          args = t.text
        }
        const no = verdictFor(t.toolName ?? '', args)
        if (!no) continue
        reason ||= message(t.toolName ?? '', no.rule, no.why)
        drop.push(t.index)
      }
      if (drop.length === 0) return { action: 'allow' }
      if (onDisallowed === 'block') return { action: 'block', reason, code: 'tool_not_allowed' }
      return { action: 'rewrite', texts: texts.map((t) => t.text), drop, reason }
    },
  }
  return guardrail
}

function compileRule(id: string, pattern: string, d: 'allow' | 'deny', argPatterns: Record<string, string> | undefined, key: string): CompiledRule {
  return {
    id,
    decision: d,
    name: nameMatcher(pattern, `${key}.tool_name`),
    params: Object.entries(argPatterns ?? {}).map(([path, re]) => ({ path: parsePath(path), re: compile(re, `${key}.allowed_param_patterns.${path}`) })),
  }
}

function nameMatcher(pattern: string, key: string): (tool: string) => boolean {
  if (pattern.startsWith('^') || pattern.endsWith('$')) {
    const re = compile(pattern, key)
    return (tool) => re.test(tool)
  }
  if (!/[*?]/.test(pattern)) return (tool) => tool === pattern
  const glob = '^' + pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : RE2JS.quote(c))).join('') + '$'
  const re = compile(glob, key)
  return (tool) => re.test(tool)
}

function compile(pattern: string, key: string): RE2JS {
  try {
    return RE2JS.compile(pattern)
  } catch (err) {
    throw new ParamError(key, `pattern ${JSON.stringify(pattern)} is not a valid RE2 regex (${(err as Error).message}); lookaround and backreferences are not supported`)
  }
}

/** `to[]` → ['to', '[]']; `a.b[].c` → ['a', 'b', '[]', 'c'] */
function parsePath(path: string): string[] {
  return path.split('.').flatMap((seg) => (seg.endsWith('[]') ? [seg.slice(0, -2), '[]'] : [seg])).filter((s) => s !== '')
}

function valuesAt(value: unknown, path: readonly string[]): unknown[] {
  if (path.length === 0) return [value]
  const [head, ...rest] = path
  if (head === '[]') return Array.isArray(value) ? value.flatMap((v) => valuesAt(v, rest)) : []
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return []
  const next = (value as Record<string, unknown>)[head as string]
  return next === undefined ? [] : valuesAt(next, rest)
}
