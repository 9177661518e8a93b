// The content_filter params: ours (`categories`, `action`, `entities`,
// `mask_format`) and LiteLLM's (`patterns`, `blocked_words`,
// `blocked_words_file`, `pattern_redaction_format`, `keyword_redaction_tag`),
// validated and resolved into what the detectors need. Every problem is a
// ParamError naming the key.
//
// Which built-in entities run:
//   - `categories` given: every entity of those categories;
//   - else, when LiteLLM-style `patterns`/`blocked_words(_file)` are given: none
//     (a LiteLLM config gets exactly the patterns it lists);
//   - else both categories;
//   plus every prebuilt pattern listed and every entity named in `entities`
//   with mask|block|on, minus those set to `off`.
// Actions: `entities` wins over a prebuilt pattern's action, which wins over
// `action` (default mask). Keywords default to block.
import { z } from 'zod'
import { ParamError, SHARED_PARAM_KEYS } from '../../factory.ts'
import { parseParams } from '../../params.ts'
import { CATEGORIES, ENTITY_NAMES, entitiesOf, prebuiltEntity, PREBUILT_NAMES, type Category, type EntityName } from './entities.ts'
import { compileUserRegex, type Keyword, type UserRegex } from './user-patterns.ts'
import { keywordOf, loadKeywordFile } from './words-file.ts'

export type Action = 'mask' | 'block'

export interface FilterConfig {
  /** the built-in entities that run, with their action */
  actions: Map<EntityName, Action>
  regexes: UserRegex[]
  keywords: Keyword[]
  /** the replacement of a masked span of `type` */
  tag: (type: string) => string
}

const lower = (v: unknown): unknown => (typeof v === 'string' ? v.trim().toLowerCase() : v)
const action = z.preprocess(lower, z.enum(['mask', 'block'], { error: 'must be mask or block (MASK, BLOCK)' }))
const entitySetting = z.preprocess(
  (v) => (v === false ? 'off' : v === true ? 'on' : lower(v)),
  z.enum(['mask', 'block', 'off', 'on'], { error: 'must be mask, block, off or on' }),
)

const PatternSchema = z.object({
  pattern_type: z.preprocess(lower, z.enum(['prebuilt', 'regex'], { error: 'must be prebuilt or regex' })),
  pattern_name: z.string().min(1).optional(),
  pattern: z.string().min(1).optional(),
  name: z.string().min(1).max(64).optional(),
  action: action.optional(),
})

const Schema = z.object({
  categories: z
    .preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.preprocess(lower, z.enum(['pii', 'credentials'], { error: 'must be pii or credentials' }))))
    .optional(),
  action: action.optional(),
  entities: z.record(z.string(), entitySetting).optional(),
  mask_format: z.string().min(1).max(200).optional(),
  pattern_redaction_format: z.string().min(1).max(200).optional(),
  keyword_redaction_tag: z.string().min(1).max(200).optional(),
  patterns: z.array(PatternSchema).optional(),
  blocked_words: z.array(z.unknown()).optional(),
  blocked_words_file: z.string().min(1).optional(),
})

const OWN_KEYS = Object.keys(Schema.shape)

export async function resolveParams(params: Readonly<Record<string, unknown>>, configDir: string): Promise<FilterConfig> {
  for (const k of Object.keys(params)) {
    if (!SHARED_PARAM_KEYS.has(k) && !OWN_KEYS.includes(k)) throw new ParamError(k, `unknown content_filter param "${k}"; known: ${OWN_KEYS.join(', ')}`)
  }
  if (Array.isArray(params.categories) && params.categories.some((c) => typeof c === 'object' && c !== null)) {
    throw new ParamError(
      'categories',
      'LiteLLM content categories (harmful_*, bias_*, …) are not supported; `categories` takes pii and/or credentials',
    )
  }
  const p = parseParams(Schema, params)
  const defaultAction: Action = p.action ?? 'mask'

  const litellmStyle = p.patterns !== undefined || p.blocked_words !== undefined || p.blocked_words_file !== undefined
  const categories: Category[] = p.categories ?? (litellmStyle ? [] : [...CATEGORIES])
  const actions = new Map<EntityName, Action>()
  for (const c of categories) for (const e of entitiesOf(c)) actions.set(e, defaultAction)

  const regexes: UserRegex[] = []
  const listed = new Set<EntityName>()
  for (const [i, pat] of (p.patterns ?? []).entries()) {
    const key = `patterns.${i}`
    if (pat.pattern_type === 'prebuilt') {
      if (!pat.pattern_name) throw new ParamError(`${key}.pattern_name`, 'a prebuilt pattern needs pattern_name')
      const entity = prebuiltEntity(pat.pattern_name)
      if (!entity) {
        throw new ParamError(`${key}.pattern_name`, `unknown prebuilt pattern "${pat.pattern_name}"; available: ${PREBUILT_NAMES.join(', ')}`)
      }
      // one entity listed twice (visa and mastercard are both credit_card): the stricter action holds
      const a = pat.action ?? defaultAction
      actions.set(entity, listed.has(entity) && actions.get(entity) === 'block' ? 'block' : a)
      listed.add(entity)
    } else {
      if (!pat.pattern) throw new ParamError(`${key}.pattern`, 'a regex pattern needs pattern')
      const type = pat.name ?? pat.pattern_name ?? 'custom_regex'
      const re = compileUserRegex(pat.pattern, `${key}.pattern`, `pattern${pat.name ? ` "${pat.name}"` : ` #${i + 1}`}`)
      regexes.push({ type, re, block: (pat.action ?? defaultAction) === 'block' })
    }
  }

  for (const [name, setting] of Object.entries(p.entities ?? {})) {
    const entity = prebuiltEntity(name)
    if (!entity) throw new ParamError(`entities.${name}`, `unknown entity "${name}"; known: ${ENTITY_NAMES.join(', ')}`)
    if (setting === 'off') actions.delete(entity)
    else actions.set(entity, setting === 'on' ? (actions.get(entity) ?? defaultAction) : setting)
  }

  const keywords: Keyword[] = (p.blocked_words ?? []).map((w, i) => keywordOf(w, `blocked_words.${i}`, true, `blocked_words.${i}`))
  if (p.blocked_words_file) keywords.push(...(await loadKeywordFile(p.blocked_words_file, configDir, true)))

  if (actions.size === 0 && regexes.length === 0 && keywords.length === 0) {
    throw new ParamError(
      p.entities ? 'entities' : p.categories ? 'categories' : 'patterns',
      'content_filter has nothing to detect: enable a category (pii, credentials), an entity, a pattern or blocked words',
    )
  }

  const format = p.mask_format ?? (p.pattern_redaction_format ? p.pattern_redaction_format.replaceAll('{pattern_name}', '{ENTITY}') : '[{ENTITY}_REDACTED]')
  const formatKey = p.mask_format ? 'mask_format' : 'pattern_redaction_format'
  const unknownPlaceholder = /\{(?!entity\}|ENTITY\}|pattern_name\})[^}]*\}/.exec(format)
  if (unknownPlaceholder) throw new ParamError(formatKey, `unknown placeholder ${unknownPlaceholder[0]}; use {entity} or {ENTITY}`)
  const tags = new Map<string, string>()
  const tag = (type: string): string => {
    let t = tags.get(type)
    if (t === undefined) {
      const upper = type.toUpperCase().replace(/[^A-Z0-9]+/g, '_')
      t = type === 'keyword' && p.keyword_redaction_tag ? p.keyword_redaction_tag : format.replaceAll('{ENTITY}', upper).replaceAll('{pattern_name}', upper).replaceAll('{entity}', type)
      tags.set(type, t)
    }
    return t
  }
  return { actions, regexes, keywords, tag }
}
