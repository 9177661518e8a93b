// What users add: their own regexes (LiteLLM `patterns: [{pattern_type:
// regex}]`) and keyword lists (`blocked_words`, `blocked_words_file`).
//
// A user's regex runs in re2js, a linear-time engine (no backtracking), so no
// pattern can stall the gateway whatever the text. Constructs RE2 cannot run
// in linear time (backreferences, lookaround, atomic groups, possessive
// quantifiers) are refused when the config loads, with the reason.
import { RE2JS } from 're2js'
import { ParamError } from '../../factory.ts'
import type { Sink } from './spans.ts'

export interface UserRegex {
  /** the entity name its findings and tags carry */
  type: string
  re: RE2JS
  block: boolean
}

const MAX_PATTERN = 4096
const MAX_MATCHES = 10_000

/** Why RE2 refuses a pattern, in words a config author can act on. */
function whyUnsupported(p: string): string | undefined {
  if (/\(\?<[=!]/.test(p)) return 'it uses lookbehind ((?<= or (?<!), which RE2 does not support'
  if (/\(\?[=!]/.test(p)) return 'it uses lookahead ((?= or (?!), which RE2 does not support'
  if (/\\[1-9]|\\k<|\(\?P=/.test(p)) return 'it uses a backreference (\\1, \\k<name>, (?P=name)), which RE2 does not support'
  if (/\(\?>/.test(p)) return 'it uses an atomic group ((?>…)), which RE2 does not support'
  if (/\(\?\(/.test(p)) return 'it uses a conditional ((?(…)…)), which RE2 does not support'
  if (/(?:^|[^\\])[*+?}][+]/.test(p)) return 'it uses a possessive quantifier (*+, ++, ?+), which RE2 does not support'
  return undefined
}

/**
 * Compiles a user's regex for re2js (case-insensitive, like LiteLLM's), or
 * throws a ParamError under `key` that names the pattern and says why.
 */
export function compileUserRegex(pattern: string, key: string, label: string): RE2JS {
  const shown = JSON.stringify(pattern.length > 120 ? pattern.slice(0, 120) + '…' : pattern)
  if (pattern.length > MAX_PATTERN) throw new ParamError(key, `${label} ${shown} is longer than ${MAX_PATTERN} characters`)
  let re: RE2JS
  try {
    re = RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE)
  } catch (err) {
    const why = whyUnsupported(pattern) ?? (err as Error).message.replace(/^error parsing regexp: /, '')
    throw new ParamError(
      key,
      `${label} ${shown} cannot run in the linear-time regex engine (RE2): ${why}. User patterns run in RE2 so that no text can make them backtrack for seconds; rewrite it without that construct`,
    )
  }
  if (re.matches('')) throw new ParamError(key, `${label} ${shown} matches the empty string; it would match everywhere`)
  return re
}

export function scanUserRegex(p: UserRegex, text: string, push: Sink): void {
  // the DFA-only test is several times faster than collecting matches; most texts do not match
  if (!p.re.test(text)) return
  const m = p.re.matcher(text)
  let n = 0
  while (m.find()) {
    const s = m.start()
    const e = m.end()
    if (e > s) push(p.type, s, e, p.block)
    if (++n >= MAX_MATCHES) break
  }
}

// ─── keywords ───────────────────────────────────────────────────────────────

export interface Keyword {
  keyword: string
  block: boolean
  description?: string
}

const WORD_ONLY = /^[\p{L}\p{N}_]+$/u
const TOKEN = /[\p{L}\p{N}_]+/gu
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')

/**
 * Case-insensitive, whole-word keyword matching. A few keywords go into one
 * regex; a long list of single words is looked up per token in a map, so a
 * 50 000-word list costs the same per text as a 50-word one.
 */
export class KeywordMatcher {
  private readonly byWord = new Map<string, boolean>()
  private readonly phrases = new Map<string, boolean>()
  private readonly phraseRe: RegExp | undefined
  private readonly tokenize: boolean

  constructor(words: readonly Keyword[]) {
    for (const w of words) {
      const k = w.keyword.trim().toLowerCase()
      if (k === '') continue
      const target = WORD_ONLY.test(k) ? this.byWord : this.phrases
      target.set(k, (target.get(k) ?? false) || w.block)
    }
    this.tokenize = this.byWord.size > 64
    const inRegex = this.tokenize ? [...this.phrases.keys()] : [...this.phrases.keys(), ...this.byWord.keys()]
    if (!this.tokenize) for (const [k, b] of this.byWord) this.phrases.set(k, b)
    this.phraseRe =
      inRegex.length === 0
        ? undefined
        : new RegExp(
            `(?<![\\p{L}\\p{N}_])(?:${inRegex
              .sort((a, b) => b.length - a.length)
              .map(escape)
              .join('|')})(?![\\p{L}\\p{N}_])`,
            'giu',
          )
  }

  get size(): number {
    return this.byWord.size + this.phrases.size
  }

  scan(text: string, push: Sink): void {
    if (this.phraseRe) {
      const re = this.phraseRe
      re.lastIndex = 0
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        push('keyword', m.index, m.index + m[0].length, this.phrases.get(m[0].toLowerCase()) ?? true)
      }
    }
    if (this.tokenize) {
      TOKEN.lastIndex = 0
      for (let m = TOKEN.exec(text); m !== null; m = TOKEN.exec(text)) {
        const block = this.byWord.get(m[0].toLowerCase())
        if (block !== undefined) push('keyword', m.index, m.index + m[0].length, block)
      }
    }
  }
}
