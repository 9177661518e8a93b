// `content_filter`: finds sensitive spans — PII (emails, phones, cards, IBANs,
// SSNs, NI numbers, IPs), credentials (provider keys, tokens, JWTs, private
// keys, passwords) and the user's own regexes and keywords — in every text the
// engine hands it, and masks them (`[EMAIL_REDACTED]`) or blocks the call.
//
// A block's reason names the entity types found, never the text. Overlapping
// findings are masked as one region, so no part of a secret survives.
// Built-in detectors are linear-time V8 regexes with bounded quantifiers plus
// validation in code; users' regexes run in re2js (linear time by design).
// Params: see content-filter/params.ts.
import type { GuardrailFactory } from '../factory.ts'
import type { Finding, Guardrail, GuardText, Verdict } from '../types.ts'
import { CREDENTIAL_DETECTORS } from './content-filter/credentials.ts'
import { ENTITIES, isEntity } from './content-filter/entities.ts'
import { resolveParams, type FilterConfig } from './content-filter/params.ts'
import { PII_DETECTORS } from './content-filter/pii.ts'
import { applyMasks, mergeSpans, type Region, type Span } from './content-filter/spans.ts'
import { KeywordMatcher, scanUserRegex } from './content-filter/user-patterns.ts'

/** User patterns and keywords rank between PII and credentials when findings overlap. */
const USER_PRIORITY = 50
const priority = (type: string): number => (isEntity(type) ? ENTITIES[type].priority : USER_PRIORITY)

export interface ContentScanner {
  /** merged findings of one text */
  scan(text: string): Region[]
  tag(type: string): string
}

/** The detection half of the guardrail (also used by the benchmark and tests). */
export function contentScanner(cfg: FilterConfig): ContentScanner {
  const detectors = [...PII_DETECTORS, ...CREDENTIAL_DETECTORS].filter((d) => d.entities.some((e) => cfg.actions.has(e)))
  const keywords = cfg.keywords.length > 0 ? new KeywordMatcher(cfg.keywords) : undefined
  const { actions, regexes } = cfg
  return {
    tag: cfg.tag,
    scan(text: string): Region[] {
      if (text.length === 0) return []
      const spans: Span[] = []
      const builtin = (type: string, start: number, end: number): void => {
        const a = isEntity(type) ? actions.get(type) : undefined
        if (a !== undefined) spans.push({ type, start, end, block: a === 'block' })
      }
      const user = (type: string, start: number, end: number, block?: boolean): void => {
        spans.push({ type, start, end, block: block === true })
      }
      for (const d of detectors) d.scan(text, builtin)
      for (const r of regexes) scanUserRegex(r, text, user)
      keywords?.scan(text, user)
      return mergeSpans(spans, priority)
    },
  }
}

export const createContentFilter: GuardrailFactory = async (params, ctx) => {
  const cfg = await resolveParams(params, ctx.configDir)
  const scanner = contentScanner(cfg)

  const check = async (texts: GuardText[]): Promise<Verdict> => {
    const findings: Finding[] = []
    const found = new Set<string>()
    const blocking = new Set<string>()
    const out: string[] = []
    for (const t of texts) {
      const regions = scanner.scan(t.text)
      if (regions.length === 0) {
        out.push(t.text)
        continue
      }
      for (const r of regions) {
        findings.push({ type: r.type, index: t.index, start: r.start, end: r.end })
        for (const x of r.types) found.add(x)
        for (const x of r.blocking) blocking.add(x)
      }
      out.push(applyMasks(t.text, regions, scanner.tag))
    }
    if (findings.length === 0) return { action: 'allow' }
    const types = [...found].sort()
    if (blocking.size > 0) {
      const blocked = [...blocking].sort()
      const also = types.filter((x) => !blocking.has(x))
      return {
        action: 'block',
        reason: `sensitive content found: ${blocked.join(', ')}${also.length > 0 ? ` (also ${also.join(', ')})` : ''}`,
        code: 'content_filter',
        details: { entities: types, blocking: blocked },
        findings,
      }
    }
    return { action: 'rewrite', texts: out, findings, reason: `masked ${findings.length} span(s): ${types.join(', ')}` }
  }

  const guardrail: Guardrail = { name: ctx.name, checkInput: check, checkOutput: check }
  return guardrail
}
