// PII detectors: emails, phone numbers, payment cards (Luhn), IBANs (mod-97),
// US SSNs, UK National Insurance numbers, IP addresses.
//
// Each detector is one cheap pass: a pre-check (`@` present, a digit present…)
// then one regex whose quantifiers are all bounded and unambiguous (no
// catastrophic backtracking), then code that validates each candidate —
// check digits, number ranges, the words just before it — so that look-alikes
// (versions, dates, amounts, order numbers, ISBNs) pass untouched.
import { codeAt, isAlnum, isDigit, isWord, lastMatch, lineBefore } from './chars.ts'
import { ibanValid, IBAN_LENGTHS, luhn } from './checksums.ts'
import type { Detector, Sink } from './spans.ts'

// ─── email ──────────────────────────────────────────────────────────────────

// . _ % + - ' and letters beyond ASCII (internationalised addresses)
const isLocalChar = (c: number): boolean =>
  isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45 || c === 39 || (c >= 0xc0 && NON_ASCII_LETTER.test(String.fromCharCode(c)))
const NON_ASCII_LETTER = /\p{L}/u
const isDomainChar = (c: number): boolean => isAlnum(c) || c === 46 || c === 45

// Generic TLDs people write, plus every ISO country code TLD. A list (rather
// than "any letters") keeps `icon@2x.png` and `pkg@1.0.js` out.
const TLDS = new Set(
  (
    'com net org edu gov mil int info biz name pro aero coop museum mobi asia tel travel jobs cat post ' +
    'xyz online site tech store app dev ai io co me tv cloud email digital agency company solutions services ' +
    'systems network software studio design media news blog shop live life world today space website club ' +
    'global group team center academy finance bank law legal health care clinic energy page link click help ' +
    'support institute university school education works tools zone social expert consulting fund capital ' +
    'partners ventures holdings international eco green earth one top vip win work art fun love family ' +
    'ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs bt bw by bz ' +
    'ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es et eu fi fj fk ' +
    'fm fo fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir ' +
    'is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ' +
    'ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl ' +
    'pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sk sl sm sn so sr ss st su sv sx sy sz tc ' +
    'td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw'
  ).split(' '),
)

function scanEmails(text: string, push: Sink): void {
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    // local part, leftwards (at most 64 characters)
    let s = at
    while (s > 0 && isLocalChar(text.charCodeAt(s - 1)) && at - s <= 64) s--
    if (at - s > 64 || s === at) continue
    while (s < at && !isWord(text.charCodeAt(s)) && text.charCodeAt(s) < 0xc0) s++ // no leading dot, dash, quote
    if (s === at || text.charCodeAt(at - 1) === 46) continue
    const local = text.slice(s, at)
    if (local.includes('..')) continue
    // domain, rightwards (at most 253)
    let e = at + 1
    let dot = false
    for (let c = codeAt(text, e); isDomainChar(c) && e - at <= 253; c = codeAt(text, ++e)) if (c === 46) dot = true
    if (!dot) continue
    while (e > at + 1 && (text.charCodeAt(e - 1) === 46 || text.charCodeAt(e - 1) === 45)) e-- // sentence dot
    if (!domainOk(text.slice(at + 1, e))) continue
    // user@host inside a URL (scheme://user@host, scheme://user:pass@host) is not an address;
    // neither is scp-style git@host:path
    const before = codeAt(text, s - 1)
    if (before === 47 || (before === 58 && urlBefore(text, s))) continue
    if (codeAt(text, e) === 58 && e + 1 < text.length && !/\s/.test(text[e + 1] as string)) continue
    push('email', s, e)
  }
}

// written out to dodge scrapers: "jane.doe at example dot com", "jane[at]example[dot]com"
const SPELLED_EMAIL = /(?<![\w.+-])([A-Za-z0-9._%+-]{1,64})(?:[ \t]+at[ \t]+([A-Za-z0-9-]{1,63}(?:[ \t]+dot[ \t]+[A-Za-z0-9-]{1,63}){1,4})|[ \t]*[[({][ \t]*at[ \t]*[\])}][ \t]*([A-Za-z0-9-]{1,63}(?:[ \t]*(?:[[({][ \t]*dot[ \t]*[\])}]|\.)[ \t]*[A-Za-z0-9-]{1,63}){1,4}))(?![\w-])/gi

function scanSpelledEmails(text: string, push: Sink): void {
  if (!/ dot |[[({]\s*at\s*[\])}]/i.test(text)) return
  SPELLED_EMAIL.lastIndex = 0
  for (let m = SPELLED_EMAIL.exec(text); m !== null; m = SPELLED_EMAIL.exec(text)) {
    const domain = (m[2] ?? m[3] ?? '').replace(/\s*(?:[[({]\s*dot\s*[\])}]|\s+dot\s+|\.)\s*/gi, '.')
    if (domainOk(domain)) push('email', m.index, m.index + m[0].length)
  }
}

function domainOk(domain: string): boolean {
  if (!TLDS.has(domain.slice(domain.lastIndexOf('.') + 1).toLowerCase())) return false
  const labels = domain.split('.')
  if (labels.length < 2) return false
  for (const l of labels) {
    if (l.length === 0 || l.length > 63) return false
    if (!isAlnum(l.charCodeAt(0)) || !isAlnum(l.charCodeAt(l.length - 1))) return false
  }
  return true
}

/** Whether the non-space run ending at `pos` contains `://`. */
function urlBefore(text: string, pos: number): boolean {
  let s = pos
  while (s > 0 && pos - s < 200 && !/\s/.test(text[s - 1] as string)) s--
  return text.slice(s, pos).includes('://')
}

// ─── payment cards ──────────────────────────────────────────────────────────

// 4-4-4-4(-1..3) with one consistent separator, Amex/Diners 4-6-5/4-6-4, or 13-19 bare digits.
const CARD = /(?<![\w.,\-+/])(?:\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?|3\d{3}([ -])\d{6}\2\d{4,5}|\d{13,19})(?![\w]|[\-/]\w|[.,]\d)/g

/** Issuer prefix and length of the major networks. */
export function cardBrandOk(d: string): boolean {
  const n = d.length
  const p2 = Number(d.slice(0, 2))
  const p3 = Number(d.slice(0, 3))
  const p4 = Number(d.slice(0, 4))
  const p6 = Number(d.slice(0, 6))
  if (d[0] === '4') return n === 13 || n === 16 || n === 19 // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16 // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15 // Amex
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925)) return n >= 16 && n <= 19 // Discover
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19 // JCB
  if ((p3 >= 300 && p3 <= 305) || p4 === 3095 || p2 === 36 || p2 === 38 || p2 === 39) return n >= 14 && n <= 19 // Diners
  if (p2 === 62) return n >= 16 && n <= 19 // UnionPay
  if (p4 >= 2200 && p4 <= 2204) return n >= 16 && n <= 19 // Mir
  if (p2 === 50 || (p2 >= 56 && p2 <= 58) || p2 === 63 || p2 === 67) return n >= 13 && n <= 19 // Maestro
  return false
}

function scanCards(text: string, push: Sink): void {
  CARD.lastIndex = 0
  for (let m = CARD.exec(text); m !== null; m = CARD.exec(text)) {
    const digits = m[0].replace(/[ -]/g, '')
    if (digits.length < 13 || digits.length > 19) continue
    if (/^(\d)\1+$/.test(digits)) continue
    if (!cardBrandOk(digits) || !luhn(digits)) continue
    push('credit_card', m.index, m.index + m[0].length)
  }
}

// ─── US SSN ─────────────────────────────────────────────────────────────────

const SSN_DASHED = /(?<![\w\-.,/])(\d{3})-(\d{2})-(\d{4})(?![\w]|[\-/]\w|[.,]\d)/g
// undashed or spaced only right after the words that name it
const SSN_NAMED = /\b(?:ssn|ss#|social[ -]security(?:[ -](?:number|num|no|#))?)\.?[ \t]*(?:#|:|=|is|-)?[ \t]*(\d{3})([ .]?)(\d{2})\2(\d{4})(?![\w]|[\-/]\w|[.,]\d)/gi

/** SSA rules: no area 000, 666 or 900-999, no group 00, no serial 0000, no known advertising numbers. */
export function ssnValid(area: string, group: string, serial: string): boolean {
  const a = Number(area)
  if (a === 0 || a === 666 || a >= 900) return false
  if (group === '00' || serial === '0000') return false
  const all = area + group + serial
  if (/^(\d)\1{8}$/.test(all)) return false
  if (all === '078051120' || all === '219099999') return false
  return true
}

function scanSsn(text: string, push: Sink): void {
  SSN_DASHED.lastIndex = 0
  for (let m = SSN_DASHED.exec(text); m !== null; m = SSN_DASHED.exec(text)) {
    if (ssnValid(m[1] as string, m[2] as string, m[3] as string)) push('us_ssn', m.index, m.index + m[0].length)
  }
  if (!/ss|social/i.test(text)) return
  SSN_NAMED.lastIndex = 0
  for (let m = SSN_NAMED.exec(text); m !== null; m = SSN_NAMED.exec(text)) {
    if (!ssnValid(m[1] as string, m[3] as string, m[4] as string)) continue
    const len = (m[1] as string).length + (m[2] as string).length * 2 + 6
    const end = m.index + m[0].length
    push('us_ssn', end - len, end)
  }
}

// ─── phone numbers ──────────────────────────────────────────────────────────

// A run of digits and phone separators; each run is then parsed into digit
// groups and checked against the formats below.
const PHONE_RUN = /[+(]?\d[\d \-.()/]{5,26}\d/g

const PHONE_WORDS =
  /(?<![\p{L}\p{N}_])(?:((?:my|your|his|her|our|their)\s+(?:new\s+)?number|wa\.me|phone|phones|ph|tel|tél|telephone|téléphone|telefon|teléfono|telefone|mobile|mob|móvil|handy|portable|cell|cellphone|celular|fax|whatsapp|sms|call|calling|text|txt|ring|dial|contact|reach|hotline|helpline|landline)|(order|invoice|inv|ref|reference|tracking|ticket|case|po|sku|serial|part|model|account|acct|transaction|txn|confirmation|conf|booking|reservation|id|isbn|issn|ean|upc|receipt|claim|policy|patent|lot|batch|build|version|rev|release|item|product|code|pin|zip|postal|ssn|iban|card|route|flight|no|nr))(?![\p{L}\p{N}_])/gu

interface Group {
  /** separator before the digits ('' for the first one unless it opened with a parenthesis) */
  sep: string
  digits: string
  /** offsets in the run */
  start: number
  end: number
}

function groupsOf(run: string): { plus: boolean; groups: Group[] } {
  const plus = run.charCodeAt(0) === 43
  const groups: Group[] = []
  let i = plus ? 1 : 0
  while (i < run.length) {
    const sepStart = i
    while (i < run.length && !isDigit(run.charCodeAt(i))) i++
    const start = i
    while (i < run.length && isDigit(run.charCodeAt(i))) i++
    groups.push({ sep: run.slice(sepStart, start), digits: run.slice(start, i), start, end: i })
  }
  return { plus, groups }
}

const SEPS = new Set([' ', '-', '.', '/', '(', ') ', ')', ' (', ')-', '-('])
const total = (gs: readonly Group[], k: number): number => {
  let n = 0
  for (let i = 0; i < k; i++) n += (gs[i] as Group).digits.length
  return n
}

/** NANP: [1] (AAA) EEE-NNNN with a valid area code and exchange; returns groups used, or 0. */
function nanp(gs: readonly Group[], plus: boolean): number {
  if (plus) return 0
  let i = 0
  if (gs[0]?.digits === '1' && gs.length >= 4 && gs[0].sep === '') i = 1
  const a = gs[i]
  const x = gs[i + 1]
  const n = gs[i + 2]
  if (!a || !x || !n || a.digits.length !== 3 || x.digits.length !== 3 || n.digits.length !== 4) return 0
  const paren = a.sep === '(' || a.sep === ' (' || a.sep === '-('
  if (i === 0 && a.sep !== '' && a.sep !== '(') return 0
  if (paren ? !(x.sep === ')' || x.sep === ') ' || x.sep === ')-') : !(x.sep === ' ' || x.sep === '-' || x.sep === '.')) return 0
  if (!paren && i === 1 && !(a.sep === ' ' || a.sep === '-' || a.sep === '.')) return 0
  if (!(n.sep === ' ' || n.sep === '-' || n.sep === '.')) return 0
  const area = a.digits
  if (area < '200' || area[1] === '9' || area.endsWith('11')) return 0
  if (x.digits < '200' || x.digits.endsWith('11')) return 0
  return i + 3
}

/** +CC …: 8-15 digits in all; returns groups used, or 0. */
function international(gs: readonly Group[], plus: boolean): number {
  if (!plus || gs[0]?.sep !== '' || gs[0].digits[0] === '0') return 0
  for (let k = gs.length; k >= 1; k--) {
    const n = total(gs, k)
    if (n < 8 || n > 15) continue
    if (k === 1 && n < 10) continue
    const seps = gs.slice(1, k).map((g) => g.sep)
    if (seps.some((s) => !SEPS.has(s))) continue
    if (seps.includes('.') && k < 3) continue // +3.14159
    if (k === 2 && (gs[0] as Group).digits.length > 4) continue
    return k
  }
  return 0
}

/** National formats with a trunk 0: UK 020 7946 0958 / 07700 900123, FR 01 23 45 67 89, DE 030 9018200. */
function national(gs: readonly Group[], plus: boolean): number {
  if (plus) return 0
  const g0 = gs[0]
  if (!g0 || g0.digits[0] !== '0' || g0.digits.length < 2 || g0.digits.length > 5) return 0
  const paren = g0.sep === '('
  if (g0.sep !== '' && !paren) return 0
  for (let k = gs.length; k >= 2; k--) {
    const n = total(gs, k)
    if (n < 10 || n > 11) continue
    const rest = gs.slice(1, k)
    if (rest.some((g) => g.digits.length < 2 || g.digits.length > 8)) continue
    const seps = rest.map((g) => g.sep)
    const first = seps[0] as string
    if (paren ? !(first === ') ' || first === ')') : !(first === ' ' || first === '-' || first === '.')) continue
    const later = seps.slice(1)
    if (later.some((s) => s !== ' ' && s !== '-' && s !== '.')) continue
    // dots only in the French 0X.XX.XX.XX.XX layout
    if (seps.includes('.') && !(k === 5 && gs.slice(0, 5).every((g) => g.digits.length === 2))) continue
    return k
  }
  return 0
}

/** Any number shape, accepted only after a phone word: 555-0132, 4155550132, 0301234567. */
function contextual(gs: readonly Group[], run: string): number {
  for (let k = gs.length; k >= 1; k--) {
    const n = total(gs, k)
    if (n < 7 || n > 15) continue
    const seps = gs.slice(1, k).map((g) => g.sep)
    if (seps.some((s) => !SEPS.has(s))) continue
    if (seps.length > 0 && seps.every((s) => s === '.') && (k === 2 || k === 4)) continue // decimals, IPs
    if (!gs.slice(0, k).some((g) => g.digits.length >= 3)) continue
    if (looksLikeDate(run.slice(0, (gs[k - 1] as Group).end))) continue
    return k
  }
  return 0
}

/** A date at the start of the run (2024-03-18 10…, 18/03/2024 …): not a phone number, whatever follows. */
function startsWithDate(gs: readonly Group[], run: string): boolean {
  return gs.length >= 3 && looksLikeDate(run.slice(0, (gs[2] as Group).end))
}

function looksLikeDate(s: string): boolean {
  return /^\(?\d{4}[-/. ]\d{1,2}[-/. ]\d{1,2}$/.test(s) || /^\(?\d{1,2}[-/. ]\d{1,2}[-/. ]\d{2,4}$/.test(s)
}

/** 'phone' when a phone word is the last cue before `pos`, 'other' for an order/invoice/… word or `#`, else 'none'. */
function phoneCue(text: string, pos: number): 'phone' | 'other' | 'none' {
  const before = lineBefore(text, pos, 32)
  const trimmed = before.trimEnd()
  if (trimmed.endsWith('#') || trimmed.endsWith('№')) return 'other'
  const m = lastMatch(PHONE_WORDS, before)
  if (!m) return 'none'
  return m[1] !== undefined ? 'phone' : 'other'
}

function scanPhones(text: string, push: Sink): void {
  PHONE_RUN.lastIndex = 0
  for (let m = PHONE_RUN.exec(text); m !== null; m = PHONE_RUN.exec(text)) {
    let run = m[0]
    let at = m.index
    // a run may begin inside a longer token, or with a number that is not part of the phone
    for (let guard = 0; guard < 8 && run.length >= 7; guard++) {
      const used = classifyPhone(text, at, run)
      if (used > 0) {
        push('phone_number', at, at + used)
        PHONE_RUN.lastIndex = at + used
        break
      }
      // retry from the next digit group of the same run
      let i = run.charCodeAt(0) === 43 || run.charCodeAt(0) === 40 ? 1 : 0
      while (i < run.length && isDigit(run.charCodeAt(i))) i++
      while (i < run.length && !isDigit(run.charCodeAt(i)) && run.charCodeAt(i) !== 43) i++
      if (i > 0 && run.charCodeAt(i - 1) === 40) i-- // keep an opening parenthesis
      if (i >= run.length) break
      at += i
      run = run.slice(i)
    }
  }
}

/** Length of the phone number at the start of `run` (at `at` in `text`), or 0. */
function classifyPhone(text: string, at: number, run: string): number {
  const prev = codeAt(text, at - 1)
  if (isWord(prev) || prev === 36 || prev === 163 || prev === 8364 || prev === 35) return 0 // word, $ £ € #
  // the tail of a longer number (1.5 415…, DE89 3704 0044 0532…, 12/415…)
  if ((prev === 46 || prev === 44 || prev === 45 || prev === 47 || prev === 58 || prev === 32) && isDigit(codeAt(text, at - 2))) return 0
  const { plus, groups } = groupsOf(run)
  let k = nanp(groups, plus) || international(groups, plus) || national(groups, plus)
  if (k > 0) {
    if (phoneCue(text, at) === 'other') return 0
  } else {
    // any other shape counts only after a phone word (looked up last: it is the costly part)
    if (startsWithDate(groups, run)) return 0
    k = contextual(groups, run)
    if (k === 0 || phoneCue(text, at) !== 'phone') return 0
  }
  const end = (groups[k - 1] as Group).end
  const next = codeAt(text, at + end)
  if (isWord(next) || next === 37) return 0 // 555-0132x, 12 345 678%
  if (next === 58 && isDigit(codeAt(text, at + end + 1))) return 0 // … 10:30, a time
  // a run that goes on with more digits after the groups used ends with another number, not a longer phone
  if (k < groups.length) {
    const rest = run.slice(end)
    if (/^[.,/-]\d/.test(rest)) return 0
  }
  return end
}

// ─── IBAN ───────────────────────────────────────────────────────────────────

const IBAN = /\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,8}(?: ?[A-Za-z0-9]{1,3})?\b/g

function scanIbans(text: string, push: Sink): void {
  IBAN.lastIndex = 0
  for (let m = IBAN.exec(text); m !== null; m = IBAN.exec(text)) {
    const raw = m[0]
    const want = IBAN_LENGTHS[raw.slice(0, 2).toUpperCase()]
    if (want === undefined) continue
    // the candidate may have swallowed a following group ("… 3000 EURO"): cut at the registry length
    let compact = ''
    let cut = raw.length
    for (let i = 0; i < raw.length; i++) {
      if (raw[i] === ' ') continue
      compact += raw[i]
      if (compact.length === want) {
        cut = i + 1
        break
      }
    }
    if (compact.length !== want) continue
    if (cut < raw.length && raw[cut] !== ' ') continue
    // upper case as printed, or all lower case as typed; not mixed
    const upper = compact.toUpperCase()
    if (compact !== upper && compact !== compact.toLowerCase()) continue
    if (!ibanValid(upper)) continue
    push('iban', m.index, m.index + cut)
    IBAN.lastIndex = m.index + cut
  }
}

// ─── UK National Insurance number ──────────────────────────────────────────

const NINO = /\b([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])( ?)(\d{2})\2(\d{2})\2(\d{2})\2([A-D])\b/g
const NINO_BAD_PREFIX = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ'])

function scanNino(text: string, push: Sink): void {
  NINO.lastIndex = 0
  for (let m = NINO.exec(text); m !== null; m = NINO.exec(text)) {
    if (NINO_BAD_PREFIX.has(m[1] as string)) continue
    push('uk_nino', m.index, m.index + m[0].length)
  }
}

// ─── IP addresses ───────────────────────────────────────────────────────────

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const IPV4 = new RegExp(`(?<![\\w.])(?:${OCTET}\\.){3}${OCTET}(?![\\w]|\\.\\d)`, 'g')
// section 2.1.3.4, version 1.2.3.4, Chrome/120.0.0.0
const NOT_IP_BEFORE = /(?:\b(?:v|ver|version|versions|release|build|firmware|section|sec|chapter|ch|clause|step|rule|item|figure|fig|table|paragraph|para|article|art|appendix|oid|§)\.?\s*|[A-Za-z]\/)$/
const IP_WORDS = /\b(?:ip|ips|ipv4|address|addr|host|hostname|server|client|from|src|dst|source|destination|ping|connect|connecting|connected|gateway|dns|inet|peer|remote|proxy|nat|subnet|route|login|logged|via|node)\b/

function scanIpv4(text: string, push: Sink): void {
  IPV4.lastIndex = 0
  for (let m = IPV4.exec(text); m !== null; m = IPV4.exec(text)) {
    const ip = m[0]
    const o = ip.split('.').map(Number) as [number, number, number, number]
    if (o[0] === 0 || o[0] === 127 || o[0] === 255 || o[0] >= 224) continue // unspecified, loopback, masks, multicast/reserved
    const before = lineBefore(text, m.index, 40)
    if (NOT_IP_BEFORE.test(before)) continue
    // 1.2.3.4-style outline numbers are IPs only when the text says so
    if (o.every((x) => x < 10) && !IP_WORDS.test(before)) continue
    // a network in CIDR notation (10.0.0.0/8) names a range, not a host
    if (o[3] === 0 && codeAt(text, m.index + ip.length) === 47) continue
    push('ip_address', m.index, m.index + ip.length)
  }
}

const isHex = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)

/** From each colon, the run of hex digits and colons around it (a regex would try every position). */
function scanIpv6(text: string, push: Sink): void {
  let from = 0
  for (let colon = text.indexOf(':'); colon !== -1; colon = text.indexOf(':', from)) {
    let s = colon
    while (s > 0 && colon - s < 40 && (isHex(text.charCodeAt(s - 1)) || text.charCodeAt(s - 1) === 58)) s--
    let e = colon + 1
    while (e < text.length && e - s < 40 && (isHex(text.charCodeAt(e)) || text.charCodeAt(e) === 58)) e++
    from = e + 1
    const before = codeAt(text, s - 1)
    const after = codeAt(text, e)
    if (isWord(before) || before === 46 || before === 58 || isWord(after) || after === 58) continue
    if (after === 46 && isDigit(codeAt(text, e + 1))) continue // ::ffff:192.0.2.1: the IPv4 part is found on its own
    if (ipv6Ok(text.slice(s, e))) push('ip_address', s, e)
  }
}

function ipv6Ok(s: string): boolean {
  const halves = s.split('::')
  if (halves.length > 2) return false
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')))
  if (groups.some((g) => g.length === 0 || g.length > 4)) return false
  if (halves.length === 1 ? groups.length !== 8 : groups.length > 7 || groups.length < 2) return false
  const hex = groups.join('')
  if (hex.length < 5) return false // a::b, ::1
  if (/^0*1?$/.test(hex)) return false
  // 8 decimal-only groups of ≤2 digits are more likely a list of times/ratios than an address
  return /[A-Fa-f]/.test(hex) || groups.some((g) => g.length >= 3)
}

// ─── the set ────────────────────────────────────────────────────────────────

const HAS_DIGIT = /\d/

export const PII_DETECTORS: readonly Detector[] = [
  {
    entities: ['email'],
    scan: (t, push) => {
      if (t.includes('@')) scanEmails(t, push)
      scanSpelledEmails(t, push)
    },
  },
  { entities: ['credit_card'], scan: (t, push) => HAS_DIGIT.test(t) && scanCards(t, push) },
  { entities: ['us_ssn'], scan: (t, push) => HAS_DIGIT.test(t) && scanSsn(t, push) },
  { entities: ['phone_number'], scan: (t, push) => HAS_DIGIT.test(t) && scanPhones(t, push) },
  { entities: ['iban'], scan: (t, push) => HAS_DIGIT.test(t) && scanIbans(t, push) },
  { entities: ['uk_nino'], scan: (t, push) => HAS_DIGIT.test(t) && scanNino(t, push) },
  {
    entities: ['ip_address'],
    scan: (t, push) => {
      if (!HAS_DIGIT.test(t)) return
      if (t.includes('.')) scanIpv4(t, push)
      if (t.includes(':')) scanIpv6(t, push)
    },
  },
]
