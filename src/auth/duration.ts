// LiteLLM's durations: "30s", "15m", "12h", "7d", "1mo" (30 days).
const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, mo: 30 * 86_400_000 }

export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)(s|m|h|d|mo)$/.exec(text.trim())
  if (!m) return undefined
  return Number(m[1]) * (UNITS[m[2] as string] as number)
}
