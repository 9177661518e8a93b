// LiteLLM's secret references: any string value `os.environ/NAME` is replaced by
// that environment variable at load. A missing variable is an error that names
// the variable and the YAML path, never a value.

export const ENV_PREFIX = 'os.environ/'

export interface EnvIssue {
  path: (string | number)[]
  message: string
}

export function resolveEnvRefs(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  issues: EnvIssue[],
  path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') {
    if (!value.startsWith(ENV_PREFIX)) return value
    const name = value.slice(ENV_PREFIX.length)
    const resolved = env[name]
    if (resolved === undefined || resolved === '') {
      issues.push({ path, message: `environment variable ${name} is not set (referenced as ${value})` })
      return undefined
    }
    return resolved
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnvRefs(v, env, issues, [...path, i]))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = resolveEnvRefs(v, env, issues, [...path, k])
    return out
  }
  return value
}
