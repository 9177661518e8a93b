// Reading the gateway's /metrics (Prometheus text format) in tests.

export interface Sample {
  labels: Record<string, string>
  value: number
}

/** The samples of metric `name` whose labels include every pair of `match`. */
export function samplesOf(text: string, name: string, match: Record<string, string> = {}): Sample[] {
  const out: Sample[] = []
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const labels: Record<string, string> = {}
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k as string] = v as string
    if (Object.entries(match).every(([k, v]) => labels[k] === v)) out.push({ labels, value: Number(m[3]) })
  }
  return out
}

/** The sum of those samples (0 when there are none). */
export function sumOf(text: string, name: string, match: Record<string, string> = {}): number {
  return samplesOf(text, name, match).reduce((a, s) => a + s.value, 0)
}
