// `presidio`: PII detection and masking by Microsoft Presidio. Each text of a
// call goes to the analyzer (`POST {analyzer_api_base}/analyze`, a few at a
// time); what it finds is either masked by the anonymizer
// (`POST {anonymizer_api_base}/anonymize`, only for texts with findings) or
// blocks the call, per entity type (`pii_entities_config`, LiteLLM's spelling)
// or for all (`action`). Works both ways: prompts before the model, answers
// (streams through the engine's window) before the client. Reasons name entity
// types, never the values found.
import { z } from 'zod'
import { ParamError, type GuardrailFactory } from '../factory.ts'
import { parseParams } from '../params.ts'
import type { Finding, GuardContext, Guardrail, GuardText, Verdict } from '../types.ts'
import { mapLimit } from './map-limit.ts'
import { checkApiBase, ServiceClient, ServiceError, serviceTimeoutMs } from './service.ts'

/** Analyzer / anonymizer calls of one check in flight at once. */
const CONCURRENCY = 4

const num = z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number())
const EntityType = z.string().min(1).max(100)
const PiiAction = z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(['mask', 'block']))

/** Presidio's operators, as its anonymizer takes them. */
const Operator = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('replace'), new_value: z.string().optional() }),
  z.strictObject({ type: z.literal('redact') }),
  z.strictObject({
    type: z.literal('mask'),
    masking_char: z.string().length(1, 'masking_char is one character').default('*'),
    /** default: the whole value */
    chars_to_mask: num.pipe(z.number().int().positive()).default(1_000_000),
    from_end: z.boolean().default(false),
  }),
  z.strictObject({ type: z.literal('hash'), hash_type: z.enum(['sha256', 'sha512']).optional() }),
])
type Operator = z.infer<typeof Operator>

const Params = z.object({
  language: z.string().min(2).max(16).default('en'),
  entities: z.array(EntityType).min(1, 'entities lists at least one entity type (leave it out for all)').optional(),
  score_threshold: num.pipe(z.number().min(0).max(1)).optional(),
  action: PiiAction.default('mask'),
  pii_entities_config: z.record(EntityType, PiiAction).optional(),
  /** the operator for every entity type without its own */
  anonymizer: Operator.optional(),
  /** operators per entity type (DEFAULT: for the others), in Presidio's format */
  anonymizers: z.record(EntityType, Operator).optional(),
})

const AnalyzerAnswer = z.array(
  z.object({
    entity_type: z.string(),
    start: z.number().int().nonnegative(),
    end: z.number().int().nonnegative(),
    score: z.number(),
  }),
)
type Detected = z.infer<typeof AnalyzerAnswer>[number]

const AnonymizerAnswer = z.object({ text: z.string(), items: z.array(z.unknown()).optional() })

export const createPresidio: GuardrailFactory = (params, ctx) => {
  // a `custom` module's factory is called with the params alone
  const name = ctx.name
  const p = parseParams(Params, aliased(params))
  if (p.anonymizer && p.anonymizers?.DEFAULT) throw new ParamError('anonymizer', 'set the default operator either as anonymizer or as anonymizers.DEFAULT, not both')
  const config = p.pii_entities_config ?? {}
  const actionOf = (type: string): 'mask' | 'block' => config[type] ?? p.action
  // LiteLLM: with pii_entities_config, the analyzer looks for those entities only
  const entities = p.entities ?? (p.pii_entities_config ? Object.keys(p.pii_entities_config) : undefined)
  const wanted = entities ? new Set(entities) : undefined
  const masks = entities ? entities.some((e) => actionOf(e) === 'mask') : p.action === 'mask' || Object.values(config).includes('mask')

  const timeoutMs = serviceTimeoutMs(params.timeout)
  const analyzerKey = params.analyzer_api_base === undefined && params.presidio_analyzer_api_base !== undefined ? 'presidio_analyzer_api_base' : 'analyzer_api_base'
  const anonymizerKey = params.anonymizer_api_base === undefined && params.presidio_anonymizer_api_base !== undefined ? 'presidio_anonymizer_api_base' : 'anonymizer_api_base'
  const analyzer = new ServiceClient({ name, apiBase: checkApiBase(params[analyzerKey], analyzerKey, (m) => ctx.warn?.(analyzerKey, m)), timeoutMs })
  // blocking needs no anonymizer; masking does
  const anonymizerBase = params[anonymizerKey]
  const anonymizer =
    masks || anonymizerBase !== undefined
      ? new ServiceClient({ name, apiBase: checkApiBase(anonymizerBase, anonymizerKey, (m) => ctx.warn?.(anonymizerKey, m)), timeoutMs })
      : undefined

  const operatorFor = (type: string): Operator => p.anonymizers?.[type] ?? p.anonymizers?.DEFAULT ?? p.anonymizer ?? { type: 'replace' }

  async function analyze(t: GuardText, signal: AbortSignal): Promise<Detected[]> {
    const body = {
      text: t.text,
      language: p.language,
      ...(entities ? { entities } : {}),
      ...(p.score_threshold !== undefined ? { score_threshold: p.score_threshold } : {}),
    }
    const found = await analyzer.post('/analyze', body, AnalyzerAnswer, signal)
    // offsets are Python string indices: code points
    const length = codePoints(t.text)
    for (const d of found) {
      if (d.end <= d.start || d.end > length) throw new ServiceError('invalid_shape', `${name}: analyzer answered an entity at ${d.start}..${d.end} outside the text of ${length} characters`)
    }
    return found.filter((d) => (p.score_threshold === undefined || d.score >= p.score_threshold) && (!wanted || wanted.has(d.entity_type)))
  }

  async function anonymize(t: GuardText, found: Detected[], signal: AbortSignal): Promise<string> {
    if (!anonymizer) throw new Error(`${name}: ${anonymizerKey} is required to mask`)
    const anonymizers: Record<string, Operator> = {}
    for (const d of found) {
      const op = operatorFor(d.entity_type)
      // Presidio's replace defaults to <ENTITY_TYPE> too; sent explicitly so no version differs
      anonymizers[d.entity_type] = op.type === 'replace' && op.new_value === undefined ? { type: 'replace', new_value: `<${d.entity_type}>` } : op
    }
    const analyzer_results = found.map((d) => ({ entity_type: d.entity_type, start: d.start, end: d.end, score: d.score }))
    const answer = await anonymizer.post('/anonymize', { text: t.text, analyzer_results, anonymizers }, AnonymizerAnswer, signal)
    return answer.text
  }

  async function run(texts: GuardText[], gctx: GuardContext): Promise<Verdict> {
    const todo = texts.filter((t) => t.text.trim() !== '')
    if (todo.length === 0) return { action: 'allow' }
    const found = await mapLimit(todo, CONCURRENCY, (t) => analyze(t, gctx.signal), gctx.signal)
    const findings: Finding[] = []
    const blocking = new Map<string, number>()
    const masking = new Map<string, number>()
    for (const [i, t] of todo.entries()) {
      for (const d of found[i] ?? []) {
        findings.push({ type: d.entity_type, index: t.index, start: utf16Offset(t.text, d.start), end: utf16Offset(t.text, d.end), score: d.score })
        const counts = actionOf(d.entity_type) === 'block' ? blocking : masking
        counts.set(d.entity_type, (counts.get(d.entity_type) ?? 0) + 1)
      }
    }
    if (blocking.size > 0) {
      return {
        action: 'block',
        reason: `PII found: ${summary(blocking)}`,
        code: 'pii_detected',
        details: { entities: [...blocking.keys()].sort() },
        findings: findings.filter((f) => actionOf(f.type) === 'block'),
      }
    }
    if (masking.size === 0) return { action: 'allow' }
    const out = texts.map((t) => t.text)
    const jobs = todo.flatMap((t, i) => ((found[i]?.length ?? 0) > 0 ? [{ t, found: found[i] as Detected[] }] : []))
    const masked = await mapLimit(jobs, CONCURRENCY, (j) => anonymize(j.t, j.found, gctx.signal), gctx.signal)
    for (const [k, j] of jobs.entries()) {
      const pos = texts.indexOf(j.t)
      out[pos] = masked[k] as string
    }
    return { action: 'rewrite', texts: out, findings, reason: `masked ${summary(masking)}` }
  }

  const guardrail: Guardrail = {
    name,
    checkInput: run,
    checkOutput: run,
    close: async () => {
      await Promise.all([analyzer.close(), anonymizer?.close()])
    },
  }
  return guardrail
}

/** LiteLLM's presidio param names are accepted for a drop-in config. */
function aliased(params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...params }
  for (const [alias, key] of [
    ['presidio_language', 'language'],
    ['presidio_analyzer_api_base', 'analyzer_api_base'],
    ['presidio_anonymizer_api_base', 'anonymizer_api_base'],
  ] as const) {
    if (params[alias] === undefined) continue
    if (params[key] !== undefined) throw new ParamError(alias, `${alias} and ${key} are the same param: set one`)
    out[key] = params[alias]
  }
  return out
}

/** `EMAIL_ADDRESS ×2, US_SSN` */
function summary(counts: ReadonlyMap<string, number>): string {
  return [...counts]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([type, n]) => (n > 1 ? `${type} ×${n}` : type))
    .join(', ')
}

function codePoints(text: string): number {
  let n = 0
  for (const _ of text) n++
  return n
}

/** The UTF-16 offset of code point `cp` in `text`. */
function utf16Offset(text: string, cp: number): number {
  let i = 0
  let n = 0
  for (const ch of text) {
    if (n === cp) return i
    i += ch.length
    n++
  }
  return i
}

