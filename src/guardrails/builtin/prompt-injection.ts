// `prompt_injection`: scores each scanned text for instruction override,
// role-play jailbreaks (DAN, developer mode), system-prompt exfiltration,
// fake delimiters and role tags, and obfuscation (zero-width characters,
// look-alike letters, fullwidth forms, spaced-out letters, leetspeak, base64
// or invisible tag-character payloads), in English, Spanish, French, German,
// Russian, Portuguese, Italian, Chinese and Japanese. Texts are normalised
// first, so the disguises fall away and count as evidence themselves.
//
// A text whose score reaches `threshold` is blocked (or flagged with
// `action: flag`). The reason names the families and the score, never the
// text. User texts, tool results, tool-call arguments and completion prompts
// are scanned by default (indirect injection arrives in tool results);
// system prompts are trusted unless `sources` says otherwise.
import type { GuardrailFactory } from '../factory.ts'
import type { Finding, Guardrail, GuardText, Verdict } from '../types.ts'
import { analyse, type Analysis } from './prompt-injection/detector.ts'
import { parsePromptInjectionParams } from './prompt-injection/params.ts'
import type { Family } from './prompt-injection/signal.ts'

/** A family counts in the reason when its own evidence is at least this strong. */
const NAMED = 0.2

export const createPromptInjection: GuardrailFactory = (params) => {
  const o = parsePromptInjectionParams(params)
  const opts = { decodeBase64: o.decodeBase64 }

  const check = async (texts: GuardText[]): Promise<Verdict> => {
    let worst: { t: GuardText; a: Analysis } | undefined
    const findings: Finding[] = []
    for (const t of texts) {
      if (!o.sources.has(t.source) || t.text.length === 0) continue
      const a = analyse(scannedText(t), opts)
      if (a.score < o.threshold) continue
      for (const [family, score] of a.families) if (score >= NAMED) findings.push({ type: family, index: t.index, score: round(score) })
      if (!worst || a.score > worst.a.score) worst = { t, a }
    }
    if (!worst) return { action: 'allow' }
    const families = named(worst.a)
    const reason = `prompt injection detected in ${worst.t.source} text ${worst.t.index}: ${families.join(', ')} (score ${worst.a.score.toFixed(2)}, threshold ${o.threshold})`
    if (o.action === 'flag') return { action: 'flag', reason, findings }
    return {
      action: 'block',
      reason,
      code: 'prompt_injection',
      details: { score: round(worst.a.score), threshold: o.threshold, families, index: worst.t.index, source: worst.t.source },
      findings,
    }
  }

  const guardrail: Guardrail = { checkInput: check, checkOutput: check }
  return guardrail
}

const round = (x: number): number => Math.round(x * 1000) / 1000

function named(a: Analysis): Family[] {
  const out = [...a.families].filter(([, s]) => s >= NAMED).sort((x, y) => y[1] - x[1])
  return (out.length > 0 ? out : [...a.families].sort((x, y) => y[1] - x[1]).slice(0, 1)).map(([f]) => f)
}

/** Tool-call arguments are JSON: scan the strings inside (escapes decoded), not the syntax. */
function scannedText(t: GuardText): string {
  if (t.source !== 'tool_call_arguments' && t.source !== 'tool_call') return t.text
  const trimmed = t.text.trimStart()
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[') && !trimmed.startsWith('"')) return t.text
  try {
    const strings: string[] = []
    collectStrings(JSON.parse(t.text), strings, 0)
    return strings.length > 0 ? strings.join('\n') : t.text
  } catch {
    return t.text
  }
}

function collectStrings(v: unknown, out: string[], depth: number): void {
  if (depth > 32) return
  if (typeof v === 'string') out.push(v)
  else if (Array.isArray(v)) for (const x of v) collectStrings(x, out, depth + 1)
  else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) collectStrings(x, out, depth + 1)
}
