// Labelled eval cases, one JSON object a line:
//   {"text": "...", "expect": "block" | "allow" | "mask", "guardrail"?: "name", "note"?: "..."}
import { readFile } from 'node:fs/promises'

export type Expectation = 'block' | 'allow' | 'mask'

export interface EvalCase {
  text: string
  expect: Expectation
  /** only this guardrail is judged on the case; absent: every guardrail evaluated */
  guardrail?: string
  note?: string
  /** file:line, for reporting misses */
  where: string
}

export class CasesError extends Error {}

export function parseCases(text: string, file: string): EvalCase[] {
  const out: EvalCase[] = []
  text.split('\n').forEach((line, i) => {
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('//')) return
    const where = `${file}:${i + 1}`
    let v: unknown
    try {
      v = JSON.parse(trimmed)
    } catch {
      throw new CasesError(`${where}: not valid JSON`)
    }
    const c = v as Partial<EvalCase>
    if (typeof c.text !== 'string') throw new CasesError(`${where}: "text" must be a string`)
    if (c.expect !== 'block' && c.expect !== 'allow' && c.expect !== 'mask') throw new CasesError(`${where}: "expect" must be block, allow or mask`)
    if (c.guardrail !== undefined && typeof c.guardrail !== 'string') throw new CasesError(`${where}: "guardrail" must be a string`)
    out.push({ text: c.text, expect: c.expect, ...(c.guardrail ? { guardrail: c.guardrail } : {}), ...(typeof c.note === 'string' ? { note: c.note } : {}), where })
  })
  return out
}

export async function loadCases(files: readonly string[]): Promise<EvalCase[]> {
  const all: EvalCase[] = []
  for (const f of files) all.push(...parseCases(await readFile(f, 'utf8'), f))
  return all
}
