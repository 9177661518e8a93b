// Prints eval scores as a table, with the misses of each guardrail below it.
import type { GuardrailScore } from './run.ts'

const pct = (x: number): string => (x * 100).toFixed(1).padStart(5) + '%'
const us = (x: number): string => (x < 1000 ? `${x.toFixed(0)} µs` : `${(x / 1000).toFixed(1)} ms`).padStart(8)

export function formatScores(scores: readonly GuardrailScore[], maxMisses = 20): string {
  const lines: string[] = []
  const head = ['guardrail'.padEnd(20), 'cases'.padStart(6), 'precision'.padStart(10), 'recall'.padStart(8), 'F1'.padStart(7), 'FP rate'.padStart(8), 'p50'.padStart(8), 'p99'.padStart(8), 'µs/KB'.padStart(8)]
  lines.push(head.join(' '))
  for (const s of scores) {
    lines.push(
      [s.guardrail.padEnd(20), String(s.cases).padStart(6), pct(s.precision).padStart(10), pct(s.recall).padStart(8), pct(s.f1).padStart(7), pct(s.falsePositiveRate).padStart(8), us(s.p50Us), us(s.p99Us), s.usPerKb.toFixed(1).padStart(8)].join(' '),
    )
  }
  for (const s of scores) {
    if (s.misses.length === 0) continue
    lines.push('', `${s.guardrail}: ${s.fn} missed, ${s.fp} false alarm(s), ${s.wrongAction} wrong action(s)`)
    for (const m of s.misses.slice(0, maxMisses)) {
      const text = m.text.length > 90 ? m.text.slice(0, 87) + '…' : m.text
      lines.push(`  ${m.where}  expected ${m.expected}, got ${m.got}: ${JSON.stringify(text)}${m.reason ? `  (${m.reason})` : ''}`)
    }
    if (s.misses.length > maxMisses) lines.push(`  … and ${s.misses.length - maxMisses} more (--json lists all)`)
  }
  return lines.join('\n')
}

/** A one-line progress bar on stderr, only when it is a terminal. */
export function progress(label: string): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined
  return (done, total) => {
    const width = 30
    const filled = Math.round((done / Math.max(1, total)) * width)
    process.stderr.write(`\r${label.padEnd(20)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`)
    if (done === total) process.stderr.write('\n')
  }
}
