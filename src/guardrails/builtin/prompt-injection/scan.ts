// Runs the signals over one view of a text. One table-driven pass over the
// characters finds anchors (word stems, CJK and punctuation pairs) and, on the
// base view, the spots where the text looks disguised; each signal's regex is
// then tried, sticky, at its anchor positions only. Ordinary text costs that
// pass plus a few short regex attempts that fail within a word or two,
// whatever the number of signals.
import { CLASS, C_ASCII_LETTER, C_B64, C_CJK, C_CYRG, C_DIGIT, C_LEET, C_LETTER, C_LOOKALIKE, C_SPACER, type Features } from './chars.ts'
import { SIGNALS } from './languages.ts'
import { imperativeAt, isOwn, META, quoted, type Family, type ScanText, type Signal } from './signal.ts'

const STEM = 5
const HASH_MASK = 0x7ffffff // keys stay small integers

const isWordChar = (c: number): boolean => ((CLASS[c] as number) & C_LETTER) !== 0

interface Index {
  /** by stem (first five letters; a shorter anchor is a whole word) */
  words: Map<number, number[]>
  /** bitmap of the keys above: most words are dismissed without a map lookup */
  wordBits: Uint8Array
  /** first two characters of word anchors (low bytes): most words are skipped without hashing */
  wordPrefix: Uint8Array
  pairs: Map<number, number[]>
  /** characters that start a pair anchor */
  pairStart: Uint8Array
  /** hashed pairs that may be anchors: most CJK pairs are skipped without a map lookup */
  pairHash: Uint8Array
}

const prefixSlot = (c0: number, c1: number): number => ((c0 & 0xff) << 8) | (c1 & 0xff)
const pairKey = (a: number, b: number): number => a * 65536 + b
const pairSlot = (a: number, b: number): number => (Math.imul(a, 31) + b) & 0xffff

function buildIndex(signals: readonly Signal[]): Index {
  const idx: Index = { words: new Map(), wordBits: new Uint8Array(65536), wordPrefix: new Uint8Array(65536), pairs: new Map(), pairStart: new Uint8Array(65536), pairHash: new Uint8Array(65536) }
  const add = (m: Map<number, number[]>, key: number, i: number): void => {
    const list = m.get(key)
    if (!list) m.set(key, [i])
    else if (!list.includes(i)) list.push(i)
  }
  signals.forEach((sig, i) => {
    for (const anchor of sig.anchors) {
      const a = anchor.toLowerCase()
      if (a.length === 0) throw new Error(`empty anchor in ${sig.id}`)
      if (isWordChar(a.charCodeAt(0))) {
        let h = 0
        const k = Math.min(a.length, STEM)
        for (let j = 0; j < k; j++) {
          const c = a.charCodeAt(j)
          if (!isWordChar(c)) throw new Error(`anchor "${anchor}" of ${sig.id}: a word anchor has letters only`)
          h = (Math.imul(h, 31) + c) & HASH_MASK
        }
        add(idx.words, h * 8 + k, i)
        idx.wordBits[(h * 8 + k) & 0xffff] = 1
        idx.wordPrefix[prefixSlot(a.charCodeAt(0), a.length > 1 ? a.charCodeAt(1) : 0)] = 1
      } else {
        if (a.length !== 2) throw new Error(`anchor "${anchor}" of ${sig.id}: a pair anchor has two characters`)
        add(idx.pairs, pairKey(a.charCodeAt(0), a.charCodeAt(1)), i)
        idx.pairStart[a.charCodeAt(0)] = 1
        idx.pairHash[pairSlot(a.charCodeAt(0), a.charCodeAt(1))] = 1
      }
    }
  })
  return idx
}

const INDEX = buildIndex(SIGNALS)

export interface Found {
  family: Family
  weight: number
}

interface Pass {
  /** signal index and position of every anchor, in text order (flat pairs) */
  hits: number[]
  /** some signal had more anchors than MAX_HITS */
  flooded: boolean
}

// Per signal and view, anchors, regex attempts and matches beyond these are
// skipped: a text made of thousands of anchor words must not cost seconds.
// The flood is itself recorded as a weak sign of obfuscation.
const MAX_HITS = 2048
const MAX_ATTEMPTS = 1024
const MAX_MATCHES = 128

/**
 * One pass over the characters: every anchor (signal index and position)
 * and — with `f` — base64 runs, spaced-out letters, leetspeak tokens,
 * mixed-script words and spaced-out CJK.
 */
function pass(s: string, f: Features | undefined): Pass {
  const out: number[] = []
  const perSignal = new Uint16Array(SIGNALS.length)
  let flooded = false
  const push = (list: readonly number[], at: number): void => {
    for (const sig of list) {
      const c = perSignal[sig] as number
      if (c >= MAX_HITS) {
        flooded = true
        continue
      }
      perSignal[sig] = c + 1
      out.push(sig, at)
    }
  }
  const { words, wordBits, wordPrefix, pairs, pairStart, pairHash } = INDEX
  const n = s.length
  // base64 run
  let runStart = -1
  let runDigit = false
  // leet token: letters and digits
  let tokStart = -1
  let tokLetters = 0
  let tokLeet = 0
  let tokBetween = false
  // spaced-out letters
  let spacedStart = -1
  let spacedCount = 0
  let lastSingleEnd = -10
  let i = 0
  while (i < n) {
    let c = s.charCodeAt(i)
    let k = CLASS[c] as number
    if ((k & C_LETTER) !== 0) {
      // a word: hash its first letters if some anchor starts like it
      const start = i
      const c1 = i + 1 < n ? s.charCodeAt(i + 1) : 0
      const hashing = wordPrefix[prefixSlot(c, ((CLASS[c1] as number) & C_LETTER) !== 0 ? c1 : 0)] === 1
      let h = 0
      let hk = 0
      let bits = k
      if (hashing) {
        // the stem: the first five letters
        for (;;) {
          h = (Math.imul(h, 31) + c) & HASH_MASK
          hk++
          if (++i >= n) break
          c = s.charCodeAt(i)
          k = CLASS[c] as number
          if ((k & C_LETTER) === 0 || hk === STEM) break
          bits |= k
        }
      }
      if (i < n && (k & C_LETTER) !== 0) {
        // the rest of the word
        bits |= k
        for (;;) {
          if (++i >= n) break
          c = s.charCodeAt(i)
          k = CLASS[c] as number
          if ((k & C_LETTER) === 0) break
          bits |= k
        }
      }
      if (hashing) {
        const key = h * 8 + hk
        if (wordBits[key & 0xffff] === 1) {
          const list = words.get(key)
          if (list) push(list, start)
        }
      }
      if (f !== undefined) {
        if (runStart < 0) {
          runStart = start
          runDigit = false
        }
        if (tokStart < 0) {
          tokStart = start
          tokLetters = 0
          tokLeet = 0
          tokBetween = false
        }
        tokLetters += i - start
        // a Latin look-alike, or a Latin letter touching a Cyrillic/Greek one inside the word
        if ((bits & C_LOOKALIKE) !== 0 && f.mixed.length < 64) f.mixed.push(start)
        else if ((bits & C_CYRG) !== 0 && (bits & C_ASCII_LETTER) !== 0) {
          for (let j = start + 1; j < i && f.mixed.length < 64; j++) {
            const a = CLASS[s.charCodeAt(j - 1)] as number
            const b = CLASS[s.charCodeAt(j)] as number
            if (((a ^ b) & C_CYRG) !== 0 && ((a | b) & C_ASCII_LETTER) !== 0) f.mixed.push(j)
          }
        }
        // a letter standing alone: does it continue a run of them?
        if (i - start === 1 && (start === 0 || ((CLASS[s.charCodeAt(start - 1)] as number) & C_DIGIT) === 0) && (i >= n || (k & C_DIGIT) === 0)) {
          let gapOk = start - lastSingleEnd <= 3 && start - lastSingleEnd >= 1
          for (let j = lastSingleEnd; gapOk && j < start; j++) if (((CLASS[s.charCodeAt(j)] as number) & C_SPACER) === 0) gapOk = false
          if (gapOk) spacedCount++
          else {
            if (spacedCount >= 5 && f.spaced.length < 32) f.spaced.push([spacedStart, lastSingleEnd])
            spacedStart = start
            spacedCount = 1
          }
          lastSingleEnd = i
        }
      }
      continue
    }
    // a plain separator (space, most punctuation): only ends what was open
    if ((k & (C_B64 | C_CJK)) === 0 && pairStart[c] === 0) {
      if (f !== undefined) {
        if (runStart >= 0 && !((c === 10 || c === 13) && i - runStart >= 60 && i + 1 < n && ((CLASS[s.charCodeAt(i + 1)] as number) & C_B64) !== 0)) {
          const len = i - runStart
          if (len >= 16 && (runDigit || len >= 20) && f.base64.length < 32) f.base64.push([runStart, i])
          runStart = -1
        }
        if (tokStart >= 0) {
          if (tokLeet > 0 && tokLetters >= 2 && (tokLeet >= 2 || tokBetween) && f.leet.length < 64) f.leet.push(tokStart)
          tokStart = -1
        }
      }
      i++
      continue
    }
    if (f !== undefined) {
      if ((k & C_B64) !== 0) {
        if (runStart < 0) {
          runStart = i
          runDigit = false
        }
        if ((k & C_DIGIT) !== 0) runDigit = true
      } else if (runStart >= 0) {
        // a line break inside a long run continues it (MIME-wrapped base64)
        const cont = (c === 10 || c === 13) && i - runStart >= 60 && i + 1 < n && ((CLASS[s.charCodeAt(i + 1)] as number) & C_B64) !== 0
        if (!cont) {
          const len = i - runStart
          if (len >= 16 && (runDigit || len >= 20) && f.base64.length < 32) f.base64.push([runStart, i])
          runStart = -1
        }
      }
      if ((k & C_DIGIT) !== 0) {
        if (tokStart < 0) {
          tokStart = i
          tokLetters = 0
          tokLeet = 0
          tokBetween = false
        }
        if ((k & C_LEET) !== 0) {
          tokLeet++
          if (i > 0 && i + 1 < n && ((CLASS[s.charCodeAt(i - 1)] as number) & C_ASCII_LETTER) !== 0 && ((CLASS[s.charCodeAt(i + 1)] as number) & C_ASCII_LETTER) !== 0) tokBetween = true
        }
      } else if (tokStart >= 0) {
        if (tokLeet > 0 && tokLetters >= 2 && (tokLeet >= 2 || tokBetween) && f.leet.length < 64) f.leet.push(tokStart)
        tokStart = -1
      }
    }
    if (pairStart[c] === 1 && i + 1 < n) {
      const c2 = s.charCodeAt(i + 1)
      if (pairHash[pairSlot(c, c2)] === 1) {
        const list = pairs.get(pairKey(c, c2))
        if (list) push(list, i)
      }
    }
    // CJK characters with spaces between them
    if (f !== undefined && (k & C_CJK) !== 0 && i + 2 < n && (s.charCodeAt(i + 1) === 32 || s.charCodeAt(i + 1) === 9) && f.cjkGap.length < 64) {
      let j = i + 1
      while (j < n && j - i < 4 && (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9)) j++
      if (j < n && ((CLASS[s.charCodeAt(j)] as number) & C_CJK) !== 0) f.cjkGap.push(i)
    }
    i++
  }
  if (f !== undefined) {
    if (runStart >= 0 && n - runStart >= 16 && (runDigit || n - runStart >= 20) && f.base64.length < 32) f.base64.push([runStart, n])
    if (tokStart >= 0 && tokLeet > 0 && tokLetters >= 2 && (tokLeet >= 2 || tokBetween) && f.leet.length < 64) f.leet.push(tokStart)
    if (spacedCount >= 5 && f.spaced.length < 32) f.spaced.push([spacedStart, lastSingleEnd])
  }
  return { hits: out, flooded }
}

/** Scans view `t` and records in `found` the best weight of every signal that matched; with `f`, marks disguises too. */
export function scanView(t: ScanText, found: Map<string, Found>, f?: Features): void {
  const s = t.s
  const { hits, flooded: manyAnchors } = pass(s, f)
  const attempts = new Uint16Array(SIGNALS.length)
  const matches = new Uint16Array(SIGNALS.length)
  let flooded = manyAnchors
  for (let h = 0; h < hits.length; h += 2) {
    const idx = hits[h] as number
    const sig = SIGNALS[idx] as Signal
    if ((attempts[idx] as number) >= MAX_ATTEMPTS || (matches[idx] as number) >= MAX_MATCHES) {
      flooded = true
      continue
    }
    const start = hits[h + 1] as number
    if (sig.next !== undefined && !sig.next.has(wordAfter(s, start)) && !(sig.orWord !== undefined && sig.orWord.has(wordAt(s, start)))) continue
    if (sig.prev !== undefined && !sig.prev.has(wordBefore(s, start))) continue
    if (sig.lineStart === true && !atLineStart(s, start)) continue
    attempts[idx] = (attempts[idx] as number) + 1
    const re = sig.re
    re.lastIndex = start
    const m = re.exec(s)
    if (m === null || m[0] === '') continue
    matches[idx] = (matches[idx] as number) + 1
    if (sig.position && !imperativeAt(s, start, sig.position)) continue
    let w = sig.weigh ? sig.weigh(m, t, start) : sig.weight
    if (w <= 0) continue
    if (sig.own && isOwn(m[0])) w *= 0.1
    if (sig.mention !== false && quoted(s, start, start + m[0].length) && t.meta()) w *= 0.25
    const prev = found.get(sig.id)
    if (!prev || prev.weight < w) found.set(sig.id, { family: sig.family, weight: w })
  }
  if (flooded && !found.has('obf.flooding')) found.set('obf.flooding', { family: 'obfuscation', weight: 0.35 })
}

// between two words: spaces, apostrophes, and the punctuation of `note: to…`, `attention, AI`
const GAP = new Uint8Array(65536)
for (const c of [32, 9, 10, 13, 39, 0x2019, 58, 44, 45, 33, 0x2014, 0x2013, 34, 0x201c, 0x201d, 42]) GAP[c] = 1

/** wordHash of the letters from `i` (at most 24), without building the string. */
function hashFrom(s: string, i: number): number {
  let h = 0
  let k = 0
  while (i + k < s.length && k < 24) {
    const c = s.charCodeAt(i + k)
    if (((CLASS[c] as number) & C_LETTER) === 0) break
    h = (Math.imul(h, 31) + c) & HASH_MASK
    k++
  }
  return h * 32 + k
}

/** wordHash of the word at `start`. */
const wordAt = (s: string, start: number): number => hashFrom(s, start)

/** wordHash of the word after the word at `start`. */
function wordAfter(s: string, start: number): number {
  let i = start
  while (i < s.length && isWordChar(s.charCodeAt(i))) i++
  const from = i
  while (i < s.length && i - from < 24 && GAP[s.charCodeAt(i)] === 1) i++
  return hashFrom(s, i)
}

/** wordHash of the word before `start` (across spaces or a hyphen). */
function wordBefore(s: string, start: number): number {
  let i = start
  while (i > 0 && start - i < 24 && (s.charCodeAt(i - 1) === 32 || s.charCodeAt(i - 1) === 45 || s.charCodeAt(i - 1) === 10 || s.charCodeAt(i - 1) === 9)) i--
  let j = i
  while (j > 0 && i - j < 24 && isWordChar(s.charCodeAt(j - 1))) j--
  return hashFrom(s, j)
}

/** Only spaces, tabs, #, *, _, =, - between the line start and `start`. */
function atLineStart(s: string, start: number): boolean {
  for (let i = start - 1; i >= 0 && start - i <= 16; i--) {
    const c = s.charCodeAt(i)
    if (c === 10 || c === 13) return true
    if (c !== 32 && c !== 9 && c !== 35 && c !== 42 && c !== 95 && c !== 61 && c !== 45 && c !== 62) return false
  }
  return start <= 16
}

/** A ScanText for a view, with the discussion test computed at most once. */
export function scanText(s: string, cased: string | undefined): ScanText {
  const memo = new Map<RegExp, boolean>()
  const has = (re: RegExp): boolean => {
    let v = memo.get(re)
    if (v === undefined) {
      re.lastIndex = 0
      v = re.test(s)
      memo.set(re, v)
    }
    return v
  }
  return { s, cased, has, meta: () => has(META) }
}
