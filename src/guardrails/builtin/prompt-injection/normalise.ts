// Turns a text into the views the signals scan, and measures the obfuscation
// itself. The base view is NFKC (fullwidth and mathematical letters become
// ASCII), without invisible characters, lower-cased. Extra views appear only when the text calls for
// them, built from the spots the scanner's pass over the base view marked:
// Cyrillic/Greek/small-capital look-alikes mapped to Latin, spaced-out
// letters (and CJK characters) joined,
// leetspeak digits read as letters (each only around those spots), and
// right-to-left-overridden text reversed. Base64 runs and Unicode tag
// characters that decode to text are handed back as payloads to be analysed
// on their own.
//
// Pure-ASCII text (the common case) skips all the Unicode work: its base view
// is one lower-casing.

import type { Features } from './chars.ts'

export type ViewKind = 'base' | 'homoglyph' | 'spaced' | 'leet' | 'reversed'

export interface View {
  kind: ViewKind
  /** the text to scan: normalised and lower-cased */
  s: string
  /** the same before lower-casing, when the lengths agree (for ALL-CAPS cues) */
  cased: string | undefined
}

export interface Payload {
  kind: 'base64' | 'tags'
  text: string
}

export interface Normalised {
  /** the base view: normalised, lower-cased */
  lower: string
  /** the same before lower-casing, when the lengths agree */
  cased: string | undefined
  /** obfuscation measured on the raw text: id → weight */
  intrinsic: Map<string, number>
  /** invisible tag-character text */
  payloads: Payload[]
  /** a right-to-left override: the text may be written backwards */
  reversed: boolean
}

export interface Extra {
  views: View[]
  /** letters of spaced-out runs with nothing in between (`i g n o r e a l l …`) */
  squashed: string[]
  payloads: Payload[]
}

const INVISIBLE_TEST = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uDB40]/
// zero-width and format characters, bidi controls, variation selectors, tag characters, fillers
const INVISIBLE = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/gu
// a zero-width character between two letters of an alphabetic script (not ZWNJ/ZWJ in scripts that need them)
const ZW_IN_WORD = /[a-zA-Z\u00C0-\u024F\u0370-\u052F][\u200B-\u200D\u2060-\u2064\uFEFF\u180E]+(?=[a-zA-Z\u00C0-\u024F\u0370-\u052F])/g
const TAG_CHARS = /[\u{E0020}-\u{E007E}]/u
const FLAG_TAGS = /\u{1F3F4}[\u{E0020}-\u{E007E}]+\u{E007F}/gu
const RTL_OVERRIDE = /[\u202E\u2067\u202B]/
const CJK_GAP = /([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])[ \t]+(?=[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])/g

// Look-alike letters (lower case) that Latin text is disguised with.
const HOMOGLYPHS: Readonly<Record<string, string>> = {
  // Cyrillic
  а: 'a', в: 'b', г: 'r', е: 'e', ё: 'e', и: 'u', й: 'u', к: 'k', м: 'm', н: 'h', о: 'o', п: 'n', р: 'p', с: 'c', т: 't', у: 'y', х: 'x',
  ь: 'b', ѕ: 's', і: 'i', ї: 'i', ј: 'j', ԁ: 'd', ӏ: 'l', һ: 'h', ԛ: 'q', ԝ: 'w', ү: 'y', є: 'e', ґ: 'r',
  // Greek
  α: 'a', β: 'b', γ: 'y', ε: 'e', η: 'n', ι: 'i', κ: 'k', μ: 'u', ν: 'v', ο: 'o', π: 'n', ρ: 'p', σ: 'o', ς: 'c', τ: 't', υ: 'u', χ: 'x',
  ω: 'w', ζ: 'z', ί: 'i', ό: 'o', έ: 'e', ά: 'a', ύ: 'u',
}
const HOMOGLYPH_RE = new RegExp(`[${Object.keys(HOMOGLYPHS).join('')}]`, 'g')

// Latin-script look-alikes no supported language writes.
const LATIN_EXTRA: Readonly<Record<string, string>> = {
  ı: 'i', ɑ: 'a', ɡ: 'g', ʀ: 'r', ᴀ: 'a', ʙ: 'b', ᴄ: 'c', ᴅ: 'd', ᴇ: 'e', ɢ: 'g', ʜ: 'h', ɪ: 'i', ᴊ: 'j', ᴋ: 'k', ʟ: 'l', ᴍ: 'm', ɴ: 'n',
  ᴏ: 'o', ᴘ: 'p', ꜱ: 's', ᴛ: 't', ᴜ: 'u', ᴠ: 'v', ᴡ: 'w', ʏ: 'y', ᴢ: 'z', օ: 'o', ս: 'u', ց: 'g', հ: 'h', ո: 'n',
}
const LATIN_EXTRA_RE = new RegExp(`[${Object.keys(LATIN_EXTRA).join('')}]`, 'g')

const LEET: Readonly<Record<string, string>> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's' }
const LEET_TOKEN = /[a-z0-9@$]*[a-z][a-z0-9@$]*/g
const LEET_CHARS = /[013457@$]/g

const MAX_PAYLOADS = 8
const MAX_B64 = 16_384
/** context kept around a spot that needs another view */
const SNIPPET = 200
const MAX_SNIPPETS = 16

/** The base view of a text, and what its invisible characters say. Pure ASCII costs one lower-casing. */
export function normalise(text: string): Normalised {
  const intrinsic = new Map<string, number>()
  const payloads: Payload[] = []
  let cased = text
  let reversed = false
  // Buffer.byteLength counts UTF-8 bytes natively: equal to the length only for ASCII
  if (Buffer.byteLength(text) !== text.length) {
    if (INVISIBLE_TEST.test(text)) {
      if (TAG_CHARS.test(text)) {
        const hidden = decodeTags(text.replace(FLAG_TAGS, '\u{1F3F4}'))
        if (hidden.length >= 4) {
          payloads.push({ kind: 'tags', text: hidden })
          intrinsic.set('obf.tag_characters', 0.5)
        }
      }
      ZW_IN_WORD.lastIndex = 0
      let zw = 0
      while (ZW_IN_WORD.exec(text) !== null && zw < 10) zw++
      if (zw > 0) intrinsic.set('obf.zero_width', zw >= 3 ? 0.45 : 0.3)
      reversed = RTL_OVERRIDE.test(text)
      cased = cased.replace(INVISIBLE, '')
    }
    cased = cased.normalize('NFKC')
  }
  const lower = cased.toLowerCase()
  return { lower, cased: lower.length === cased.length ? cased : undefined, intrinsic, payloads, reversed }
}

/** The views and payloads the disguises found in the base view call for. */
export function extraViews(n: Normalised, f: Features): Extra {
  const { lower } = n
  const views: View[] = []
  const payloads: Payload[] = []
  if (f.mixed.length > 0) {
    n.intrinsic.set('obf.mixed_script', f.mixed.length >= 3 ? 0.5 : 0.35)
    views.push({ kind: 'homoglyph', s: snippets(lower, f.mixed, (x) => x.replace(HOMOGLYPH_RE, (c) => HOMOGLYPHS[c] ?? c).replace(LATIN_EXTRA_RE, (c) => LATIN_EXTRA[c] ?? c)), cased: undefined })
  }
  if (f.cjkGap.length > 0) views.push({ kind: 'spaced', s: snippets(lower, f.cjkGap, (x) => x.replace(CJK_GAP, '$1')), cased: undefined })
  if (f.leet.length > 0) views.push({ kind: 'leet', s: snippets(lower, f.leet, deleet), cased: undefined })
  const squashed: string[] = []
  if (f.spaced.length > 0) {
    const join = (run: string): string => {
      // two or more separators between letters mark a word gap
      const words = run.split(/[\s.\-_*·|/+,]{2,}|\s*[/|]\s*/).map((w) => w.replace(/[^\p{L}\p{N}]/gu, ''))
      squashed.push(words.join(''))
      return ' ' + words.join(' ') + ' '
    }
    let s = ''
    for (const [a, b] of f.spaced.slice(0, MAX_SNIPPETS)) {
      s += lower.slice(Math.max(0, a - SNIPPET), a) + join(lower.slice(a, b)) + lower.slice(b, b + SNIPPET) + '\n\n'
    }
    views.push({ kind: 'spaced', s, cased: undefined })
  }
  if (n.reversed) views.push({ kind: 'reversed', s: [...lower].reverse().join(''), cased: undefined })
  const source = n.cased
  if (source !== undefined) {
    for (const [a, b] of f.base64) {
      if (payloads.length >= MAX_PAYLOADS) break
      const run = source.slice(a, Math.min(b, a + MAX_B64))
      // base64 of text mixes cases; identifiers and long words do not
      if (!/[A-Z]/.test(run) || !/[a-z]/.test(run)) continue
      let end = a + run.length
      while (end < source.length && end - a - run.length < 2 && source.charCodeAt(end) === 61) end++ // '=' padding
      const decoded = decodeBase64(source.slice(a, end))
      if (decoded !== undefined) payloads.push({ kind: 'base64', text: decoded })
    }
  }
  return { views, squashed, payloads }
}

const deleet = (s: string): string => s.replace(LEET_TOKEN, (tok) => (/[013457@$]/.test(tok) ? tok.replace(LEET_CHARS, (c) => LEET[c] ?? c) : tok))

/** The text around `spots` (merged windows), each rewritten by `fn`, joined by blank lines. */
function snippets(s: string, spots: readonly number[], fn: (x: string) => string): string {
  let out = ''
  let a = -1
  let b = -1
  let n = 0
  for (const x of spots) {
    const from = Math.max(0, x - SNIPPET)
    const to = Math.min(s.length, x + SNIPPET)
    if (a >= 0 && from <= b) {
      b = Math.max(b, to)
      continue
    }
    if (a >= 0) out += fn(s.slice(a, b)) + '\n\n'
    if (++n > MAX_SNIPPETS) {
      a = -1
      break
    }
    a = from
    b = to
  }
  if (a >= 0) out += fn(s.slice(a, b))
  return out
}

/** Decodes a base64 run; undefined unless it is mostly printable text. */
export function decodeBase64(run: string): string | undefined {
  const buf = Buffer.from(run, 'base64')
  if (buf.length < 8) return undefined
  const text = buf.toString('utf8')
  let printable = 0
  let letters = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0xfffd) return undefined
    if ((c >= 0x20 && c < 0x7f) || c === 9 || c === 10 || c === 13 || c >= 0xa0) printable++
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c >= 0xc0) letters++
  }
  return printable >= text.length * 0.95 && letters >= text.length * 0.5 ? text : undefined
}

/** Unicode tag characters (U+E0020–E007E) spell ASCII that renders invisible. */
function decodeTags(text: string): string {
  let out = ''
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number
    if (cp >= 0xe0020 && cp <= 0xe007e) out += String.fromCharCode(cp - 0xe0000)
  }
  return out
}
