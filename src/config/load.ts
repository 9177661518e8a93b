// Reads a YAML config, resolves `os.environ/…`, validates it and turns it into
// the resolved GatewayConfig the server runs on. Every problem is reported with
// its YAML path and line; keys that are dropped are returned as warnings.
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { LineCounter, parseDocument, isNode } from 'yaml'
import type { z } from 'zod'
import { PROVIDERS, splitModel } from '../providers/registry.ts'
import type { Deployment } from '../providers/types.ts'
import { resolveEnvRefs, type EnvIssue } from './env-refs.ts'
import { ConfigSchema, type GuardrailEntry, type RawConfig } from './schema.ts'
import { isObject } from '../json.ts'

export interface ConfigIssue {
  /** e.g. `model_list[0].litellm_params.model` */
  path: string
  message: string
  line: number | undefined
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[]
  constructor(file: string, issues: ConfigIssue[]) {
    super(`${file}: ${issues.length} error(s)\n` + issues.map((i) => '  ' + formatIssue(i)).join('\n'))
    this.name = 'ConfigError'
    this.issues = issues
  }
}

export function formatIssue(i: ConfigIssue): string {
  return `${i.path || '(root)'}${i.line !== undefined ? ` (line ${i.line})` : ''}: ${i.message}`
}

export type RoutingStrategy = 'simple-shuffle' | 'least-busy'

export interface RouterConfig {
  strategy: RoutingStrategy
  numRetries: number
  /** minimum wait before a retry */
  retryAfterMs: number
  /** a Retry-After longer than this is not waited for: the next deployment or fallback is tried */
  maxRetryAfterMs: number
  /** failures within a minute before a deployment is cooled down */
  allowedFails: number
  cooldownMs: number
  fallbacks: ReadonlyMap<string, readonly string[]>
}

export interface GeneralConfig {
  masterKey: string | undefined
  databaseUrl: string | undefined
  maxRequestBytes: number
  shutdownTimeoutMs: number
  upstreamMaxConnections: number
  guardrailStreamWindow: number
  guardrailQueueSize: number
  storePrompts: boolean
  journalMaxBytes: number
}

export interface GatewayConfig {
  file: string
  /** guardrail modules and word lists resolve against this */
  dir: string
  deployments: Deployment[]
  router: RouterConfig
  general: GeneralConfig
  guardrails: GuardrailEntry[]
}

export interface LoadResult {
  config: GatewayConfig
  warnings: ConfigIssue[]
  /** the line of a YAML path, for problems found after loading (guardrail params) */
  lineOf: (path: (string | number)[]) => number | undefined
}

const DEFAULT_TIMEOUT_S = 600

export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadResult> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new ConfigError(file, [{ path: '', message: `cannot read the config file (${code ?? String(err)})`, line: undefined }])
  }
  return parseConfig(text, resolve(file), env)
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadResult {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false })
  const lineOf = (path: (string | number)[]): number | undefined => {
    for (let p = path; ; p = p.slice(0, -1)) {
      const node = p.length === 0 ? doc.contents : doc.getIn(p, true)
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line
      if (p.length === 0) return undefined
    }
  }
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]}`, line: lineCounter.linePos(e.pos[0]).line })),
    )
  }
  const raw: unknown = doc.toJS() ?? {}
  const issue = (path: (string | number)[], message: string): ConfigIssue => ({ path: formatPath(path), message, line: lineOf(path) })
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(file, [issue([], 'the config must be a YAML mapping')])
  }

  // LiteLLM accepts `params` for `litellm_params` in model_list entries.
  const input = normaliseAliases(raw as Record<string, unknown>)
  const envMap: Record<string, string | undefined> = { ...env }
  const declared = input.environment_variables
  if (declared && typeof declared === 'object') {
    for (const [k, v] of Object.entries(declared as Record<string, unknown>)) envMap[k] ??= String(v)
  }
  const envIssues: EnvIssue[] = []
  const resolved = resolveEnvRefs(input, envMap, envIssues)
  const issues: ConfigIssue[] = envIssues.map((e) => issue(e.path, e.message))

  const parsed = ConfigSchema.safeParse(resolved)
  if (!parsed.success) {
    for (const zi of parsed.error.issues) {
      const path = zi.path.filter((p): p is string | number => typeof p !== 'symbol')
      // a missing env var already explains why the value is undefined
      if (envIssues.some((e) => formatPath(e.path) === formatPath(path))) continue
      issues.push(issue(path, zodMessage(zi)))
    }
    throw new ConfigError(file, issues)
  }
  if (issues.length > 0) throw new ConfigError(file, issues)

  const warnings: ConfigIssue[] = droppedKeys(resolved, parsed.data).map((p) =>
    issue(p, 'not supported by Portcullis; ignored'),
  )
  const config = resolveConfig(parsed.data, file, issue, issues, warnings)
  if (issues.length > 0) throw new ConfigError(file, issues)
  return { config, warnings, lineOf }
}

function resolveConfig(
  c: RawConfig,
  file: string,
  issue: (path: (string | number)[], message: string) => ConfigIssue,
  issues: ConfigIssue[],
  warnings: ConfigIssue[],
): GatewayConfig {
  const rs = c.router_settings ?? {}
  const ls = c.litellm_settings ?? {}
  const gs = c.general_settings ?? {}
  const defaultTimeoutS = rs.timeout ?? ls.request_timeout ?? DEFAULT_TIMEOUT_S

  const ids = new Set<string>()
  const deployments: Deployment[] = c.model_list.map((entry, i) => {
    const p = entry.litellm_params
    const { prefix, name } = splitModel(p.model)
    const info = PROVIDERS[prefix]
    if (!info) {
      issues.push(issue(['model_list', i, 'litellm_params', 'model'], `unknown provider "${prefix}"; supported: ${Object.keys(PROVIDERS).join(', ')}`))
    } else if (info.defaultBase === undefined && !p.api_base) {
      issues.push(issue(['model_list', i, 'litellm_params', 'api_base'], `provider "${prefix}" needs an api_base`))
    }
    const id = entry.model_info?.id ?? `${entry.model_name}#${i}`
    if (ids.has(id)) issues.push(issue(['model_list', i, 'model_info', 'id'], `duplicate deployment id "${id}"`))
    ids.add(id)
    return {
      id,
      modelName: entry.model_name,
      // an unknown prefix is an issue above: the config is refused, this deployment never runs
      provider: info?.kind ?? 'openai',
      model: name,
      apiBase: p.api_base ?? (info?.defaultBase !== 'builtin' ? info?.defaultBase : undefined),
      apiKey: p.api_key,
      timeoutMs: (p.timeout ?? defaultTimeoutS) * 1000,
      streamTimeoutMs: (p.stream_timeout ?? p.timeout ?? defaultTimeoutS) * 1000,
      weight: p.weight ?? 1,
      inputCostPerToken: p.input_cost_per_token ?? 0,
      outputCostPerToken: p.output_cost_per_token ?? 0,
      headers: { ...p.headers, ...p.extra_headers },
      params: p,
    }
  })

  const groups = new Set(deployments.map((d) => d.modelName))
  const fallbacks = new Map<string, string[]>()
  const addFallbacks = (list: NonNullable<RawConfig['router_settings']>['fallbacks'], section: string): void => {
    list?.forEach((rule, i) => {
      for (const [primary, targets] of Object.entries(rule)) {
        const names = Array.isArray(targets) ? targets : [targets]
        if (!groups.has(primary)) issues.push(issue([section, 'fallbacks', i, primary], `fallback source "${primary}" is not a model_name in model_list`))
        names.forEach((n, j) => {
          if (!groups.has(n)) issues.push(issue([section, 'fallbacks', i, primary, j], `fallback target "${n}" is not a model_name in model_list`))
        })
        fallbacks.set(primary, [...(fallbacks.get(primary) ?? []), ...names.filter((n) => n !== primary)])
      }
    })
  }
  addFallbacks(ls.fallbacks, 'litellm_settings')
  addFallbacks(rs.fallbacks, 'router_settings')

  let strategy: RoutingStrategy = 'simple-shuffle'
  if (rs.routing_strategy === 'least-busy' || rs.routing_strategy === 'simple-shuffle') strategy = rs.routing_strategy
  else if (rs.routing_strategy !== undefined) {
    warnings.push(issue(['router_settings', 'routing_strategy'], `"${rs.routing_strategy}" is not supported; using simple-shuffle (supported: simple-shuffle, least-busy)`))
  }

  return {
    file,
    dir: dirname(file),
    deployments,
    router: {
      strategy,
      numRetries: rs.num_retries ?? ls.num_retries ?? 2,
      retryAfterMs: (rs.retry_after ?? 0) * 1000,
      maxRetryAfterMs: (rs.max_retry_after ?? 10) * 1000,
      allowedFails: rs.allowed_fails ?? 3,
      cooldownMs: (rs.cooldown_time ?? 5) * 1000,
      fallbacks,
    },
    general: {
      masterKey: gs.master_key,
      databaseUrl: gs.database_url,
      maxRequestBytes: Math.round((gs.max_request_size_mb ?? 16) * 1024 * 1024),
      shutdownTimeoutMs: (gs.shutdown_timeout ?? 30) * 1000,
      upstreamMaxConnections: gs.upstream_max_connections ?? 256,
      guardrailStreamWindow: gs.guardrail_stream_window ?? 256,
      guardrailQueueSize: gs.guardrail_queue_size ?? 1000,
      storePrompts: gs.store_prompts ?? false,
      journalMaxBytes: Math.round((gs.journal_max_mb ?? 512) * 1024 * 1024),
    },
    guardrails: c.guardrails ?? [],
  }
}

function normaliseAliases(raw: Record<string, unknown>): Record<string, unknown> {
  const list = raw.model_list
  if (!Array.isArray(list)) return raw
  return {
    ...raw,
    model_list: list.map((entry: unknown) => {
      if (!entry || typeof entry !== 'object') return entry
      const { params, ...rest } = entry as Record<string, unknown>
      return params !== undefined && rest.litellm_params === undefined ? { ...rest, litellm_params: params } : entry
    }),
  }
}

/** Paths present in `input` but absent from the parsed `output`: keys the schema does not know. */
function droppedKeys(input: unknown, output: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(input) && Array.isArray(output)) {
    return input.flatMap((v, i) => droppedKeys(v, output[i], [...path, i]))
  }
  if (!isObject(input) || !isObject(output)) return []
  const out: (string | number)[][] = []
  for (const [k, v] of Object.entries(input)) {
    if (!(k in output)) {
      if (v !== undefined) out.push([...path, k])
    } else out.push(...droppedKeys(v, output[k], [...path, k]))
  }
  return out
}


export function formatPath(path: readonly (string | number)[]): string {
  let s = ''
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`
  return s
}

function zodMessage(i: z.core.$ZodIssue): string {
  if (i.code === 'invalid_type' && i.input === undefined) return `required (${i.expected})`
  if (i.code === 'invalid_value' && 'values' in i) return `must be one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`
  return i.message
}
