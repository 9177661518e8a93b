// Credential detectors: provider keys and tokens with a recognisable prefix
// (one combined regex whose every branch starts with a literal: AKIA, ghp_,
// xoxb-, sk-, AIza, eyJ…), PEM private-key blocks, secrets in URLs and
// Authorization headers, and `password=` / `api_key:` style assignments.
// Placeholders (`sk-...`, `YOUR_API_KEY`, `${TOKEN}`, `********`) are not
// secrets and pass.
import { codeAt, isAlnum, isAlpha, isDigit, isLower, isUpper, isWord } from './chars.ts'
import type { EntityName } from './entities.ts'
import { isPlaceholder, isReferenceOrWord, mixedClasses } from './placeholders.ts'
import type { Detector, Sink } from './spans.ts'

// ─── prefixed tokens ────────────────────────────────────────────────────────

const TOKEN = new RegExp(
  [
    '(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}',
    'gh[pousr]_[A-Za-z0-9]{36,251}',
    'github_pat_[A-Za-z0-9_]{22,255}',
    'glpat-[A-Za-z0-9_-]{20,64}',
    'xox[abposre]-[A-Za-z0-9-]{10,250}',
    'xapp-\\d-[A-Za-z0-9-]{10,250}',
    'sk-[A-Za-z0-9_-]{20,300}',
    '[sr]k_(?:live|test)_[A-Za-z0-9]{10,247}',
    'AIza[0-9A-Za-z_-]{35}',
    'npm_[A-Za-z0-9]{36}',
    'hf_[A-Za-z0-9]{30,40}',
    'eyJ[A-Za-z0-9_-]{6,4000}\\.eyJ[A-Za-z0-9_-]{2,16000}\\.[A-Za-z0-9_-]{0,4000}',
  ].join('|') + '(?![A-Za-z0-9_-])',
  'g',
)

const AWS_SECRET_NEAR = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g

function scanTokens(text: string, push: Sink): void {
  TOKEN.lastIndex = 0
  for (let m = TOKEN.exec(text); m !== null; m = TOKEN.exec(text)) {
    const prev = codeAt(text, m.index - 1)
    if (isWord(prev) || prev === 45) {
      TOKEN.lastIndex = m.index + 1 // inside a longer token: look again from the next character
      continue
    }
    const tok = m[0]
    const type = classifyToken(tok)
    if (type === undefined) {
      TOKEN.lastIndex = m.index + 1
      continue
    }
    const end = m.index + tok.length
    push(type, m.index, end)
    if (type === 'aws_access_key') awsSecretNear(text, end, push)
  }
}

function classifyToken(tok: string): EntityName | undefined {
  switch (tok.charCodeAt(0)) {
    case 65: // A
      if (tok.startsWith('AIza')) return mixedClasses(tok.slice(4), false) && !isPlaceholder(tok.slice(4)) ? 'google_api_key' : undefined
      return !isPlaceholder(tok.slice(4)) && /[A-Z]/.test(tok.slice(4)) ? 'aws_access_key' : undefined
    case 103: // g
      if (tok.startsWith('glpat-')) return !isPlaceholder(tok.slice(6)) && mixedClasses(tok.slice(6), false) ? 'gitlab_token' : undefined
      if (tok.startsWith('github_pat_')) return !isPlaceholder(tok.slice(11)) && mixedClasses(tok.slice(11)) ? 'github_token' : undefined
      return !isPlaceholder(tok.slice(4)) && mixedClasses(tok.slice(4)) ? 'github_token' : undefined
    case 120: // x
      return slackOk(tok) ? 'slack_token' : undefined
    case 115: // s
      if (tok.startsWith('sk-ant-')) return anthropicOk(tok) ? 'anthropic_key' : undefined
      if (tok.startsWith('sk-')) return openaiOk(tok) ? 'openai_key' : undefined
      return stripeOk(tok) ? 'stripe_key' : undefined
    case 114: // r
      return stripeOk(tok) ? 'stripe_key' : undefined
    case 110: // n
      return !isPlaceholder(tok.slice(4)) && mixedClasses(tok.slice(4)) ? 'npm_token' : undefined
    case 104: // h
      return !isPlaceholder(tok.slice(3)) && mixedClasses(tok.slice(3), false) ? 'huggingface_token' : undefined
    case 101: // e
      return jwtOk(tok) ? 'jwt' : undefined
    default:
      return undefined
  }
}

function slackOk(tok: string): boolean {
  if (isPlaceholder(tok.slice(5))) return false
  let digits = 0
  let dashes = 0
  for (let i = 0; i < tok.length; i++) {
    const c = tok.charCodeAt(i)
    if (isDigit(c)) digits++
    else if (c === 45) dashes++
  }
  return digits >= 8 && dashes >= 2
}

function anthropicOk(tok: string): boolean {
  const m = /^sk-ant-[a-z]{3,10}\d{0,3}-([A-Za-z0-9_-]{32,})$/.exec(tok)
  return m !== null && !isPlaceholder(m[1] as string) && mixedClasses(m[1] as string)
}

function openaiOk(tok: string): boolean {
  const body = tok.slice(3).replace(/^(?:proj|svcacct|admin|None)-/, '')
  if (body.length < 20 || isPlaceholder(body)) return false
  return mixedClasses(body)
}

function stripeOk(tok: string): boolean {
  const body = tok.slice(8)
  return body.length >= 16 && !isPlaceholder(body) && mixedClasses(body, false) && /\d/.test(body)
}

function jwtOk(tok: string): boolean {
  const dot = tok.indexOf('.')
  try {
    const header = JSON.parse(Buffer.from(tok.slice(0, dot), 'base64url').toString('utf8')) as unknown
    return typeof header === 'object' && header !== null && ('alg' in header || 'typ' in header)
  } catch {
    return false
  }
}

/** The secret access key usually sits right after its key id (CSV exports, `aws configure` pastes). */
function awsSecretNear(text: string, from: number, push: Sink): void {
  const window = text.slice(from, from + 160)
  AWS_SECRET_NEAR.lastIndex = 0
  for (let m = AWS_SECRET_NEAR.exec(window); m !== null; m = AWS_SECRET_NEAR.exec(window)) {
    const v = m[0]
    if (!isPlaceholder(v) && mixedClasses(v, false) && /[\d/+]/.test(v)) push('aws_secret_key', from + m.index, from + m.index + 40)
  }
}

// ─── PEM private keys ───────────────────────────────────────────────────────

const PEM_BEGIN = /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----/g
const PEM_HEADER = /^(?:Proc-Type|DEK-Info|Comment|Version|Hash|Charset):/

function scanPrivateKeys(text: string, push: Sink): void {
  if (!text.includes('PRIVATE KEY')) return
  PEM_BEGIN.lastIndex = 0
  let endMarker = -2 // the next END line after the current BEGIN, searched again only once passed
  for (let m = PEM_BEGIN.exec(text); m !== null; m = PEM_BEGIN.exec(text)) {
    const bodyStart = m.index + m[0].length
    if (endMarker !== -1 && endMarker < bodyStart) endMarker = text.indexOf('-----END ', bodyStart)
    let end: number
    let body: string
    if (endMarker !== -1 && endMarker - bodyStart < 65536) {
      const close = text.indexOf('-----', endMarker + 9)
      end = close !== -1 && close - endMarker < 80 ? close + 5 : endMarker + 9
      body = text.slice(bodyStart, endMarker)
    } else {
      end = truncatedKeyEnd(text, bodyStart)
      body = text.slice(bodyStart, end)
    }
    // a header with a placeholder body ("-----BEGIN PRIVATE KEY-----\n...\n") carries no key material
    if (base64Chars(body) < 40) continue
    push('private_key', m.index, end)
    PEM_BEGIN.lastIndex = end
  }
}

function base64Chars(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (isAlnum(c) || c === 43 || c === 47) n++
  }
  return n
}

/** Where a key block without its END line stops: the last line that still looks like key material. */
function truncatedKeyEnd(text: string, from: number): number {
  let i = from
  // rest of the header line (JSON-escaped keys go on with \n…)
  while (i < text.length && /[A-Za-z0-9+/=\\]/.test(text[i] as string)) i++
  let end = i
  let pos = text.indexOf('\n', i)
  while (pos !== -1 && pos - from < 65536) {
    const ls = pos + 1
    let le = text.indexOf('\n', ls)
    if (le === -1) le = text.length
    const line = text.slice(ls, le).trim()
    if (line === '' || PEM_HEADER.test(line) || /^[A-Za-z0-9+/=]+$/.test(line)) {
      if (line !== '' && (line.length >= 16 || line.endsWith('=') || /[\d+/]/.test(line) || PEM_HEADER.test(line))) end = le
      else if (line !== '') break
      pos = le < text.length ? le : -1
      continue
    }
    break
  }
  return end
}

// ─── secrets in URLs, Authorization headers, Slack webhooks ────────────────

const URL_CREDENTIALS = /\b[A-Za-z][A-Za-z0-9+.-]{1,15}:\/\/([^\s:@/?#"'<>]{0,128}):([^\s@/?#"'<>]{1,256})@(?=[A-Za-z0-9[])/g

function scanUrlPasswords(text: string, push: Sink): void {
  if (!text.includes('://')) return
  URL_CREDENTIALS.lastIndex = 0
  for (let m = URL_CREDENTIALS.exec(text); m !== null; m = URL_CREDENTIALS.exec(text)) {
    const pw = m[2] as string
    if (isPlaceholder(pw) || isReferenceOrWord(pw) || /^\$\w+$/.test(pw)) continue
    const end = m.index + m[0].length - 1 // before the @
    push('url_password', end - pw.length, end)
  }
}

const BEARER = /\b(?:[Bb]earer|BEARER)[ \t]+([A-Za-z0-9._~+/-]{16,4096}=*)/g
const BASIC = /\b(?:Basic|basic|BASIC)[ \t]+([A-Za-z0-9+/]{8,1024}={0,2})(?![A-Za-z0-9+/=])/g

function scanAuthHeaders(text: string, push: Sink): void {
  if (/earer|EARER/.test(text)) {
    BEARER.lastIndex = 0
    for (let m = BEARER.exec(text); m !== null; m = BEARER.exec(text)) {
      const v = m[1] as string
      if (isPlaceholder(v) || isReferenceOrWord(v)) continue
      if (!/\d/.test(v) && !mixedClasses(v, false)) continue // Bearer authentication_scheme
      const end = m.index + m[0].length
      push('bearer_token', end - v.length, end)
    }
  }
  if (/asic|ASIC/.test(text)) {
    BASIC.lastIndex = 0
    for (let m = BASIC.exec(text); m !== null; m = BASIC.exec(text)) {
      const v = m[1] as string
      let decoded: string
      try {
        decoded = Buffer.from(v, 'base64').toString('utf8')
      } catch {
        continue
      }
      // user:password, printable
      if (!/^[\x20-\x7e]{1,128}:[\x20-\x7e]{1,256}$/.test(decoded)) continue
      const end = m.index + m[0].length
      push('password', end - v.length, end)
    }
  }
}

const SLACK_WEBHOOK = /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/]{20,200}/g

function scanSlackWebhooks(text: string, push: Sink): void {
  if (!text.includes('hooks.slack.com')) return
  SLACK_WEBHOOK.lastIndex = 0
  for (let m = SLACK_WEBHOOK.exec(text); m !== null; m = SLACK_WEBHOOK.exec(text)) {
    if (!isPlaceholder(m[0].slice(30)) && /\d/.test(m[0])) push('slack_webhook', m.index, m.index + m[0].length)
  }
}

// ─── assignments: password=…, "api_key": "…", SECRET_KEY = '…', password is … ─

// the key's last word; longer alternatives first so `secret_key` is not read as `secret`
const KEY_WORD =
  /(?:(?:api|access|secret|private|signing|encryption|master|client|auth|app|admin|service|account|storage)[_.-]?key|apikey|pass(?:word|wd|phrase|code)?|pwd|pw|secret|token)(?![A-Za-z0-9])/gi
// keys that end in a secret word but hold none
const NOT_SECRET_KEY =
  /(?:^|[_.-])(?:page|next|prev|previous|continuation|cursor|sync|resume|eos|bos|pad|unk|sep|cls|mask|start|end|max|min|num|total|count|special|bypass)[_.-]?token$|^(?:by|com|sur|tres|over|under)pass$/
const isKeyChar = (c: number): boolean => isAlnum(c) || c === 95 || c === 46 || c === 45 // _ . -
const COMPOUND_KEYS = new Set([
  'csrftoken', 'xsrftoken', 'authtoken', 'accesstoken', 'refreshtoken', 'sessiontoken', 'apitoken', 'bottoken', 'idtoken',
  'clientsecret', 'appsecret', 'apisecret', 'webhooksecret', 'dbpassword', 'rootpassword', 'adminpassword', 'userpassword',
])
const KEY_SUFFIX = /^[_.-]?(?:base|value|b64|base64|hex|raw|plain|plaintext|prod|production|dev|staging|live|test|old|new|primary|secondary|\d)(?![A-Za-z0-9])/i
const PROSE_WORD =
  /\b(?:your|enter|forgot|reset|confirm|new|current|old|change|show|hide|must|least|characters|chars|required|please|the|is|are|was|not|should|will|can|be|and|or|to|of|for|with|field)\b/i

function scanAssignments(text: string, push: Sink): void {
  KEY_WORD.lastIndex = 0
  for (let m = KEY_WORD.exec(text); m !== null; m = KEY_WORD.exec(text)) {
    const kwStart = m.index
    const kwEnd = kwStart + m[0].length
    // the key word starts a word or a camelCase part: not "bypass", "compass"
    const prev = codeAt(text, kwStart - 1)
    if ((isLower(prev) && !isUpper(text.charCodeAt(kwStart))) || (isUpper(prev) && isLower(text.charCodeAt(kwStart)))) {
      // …unless it is a known run-together key: csrftoken, authtoken, clientsecret
      let w = kwStart
      while (w > 0 && kwStart - w < 12 && isAlpha(codeAt(text, w - 1))) w--
      if (!COMPOUND_KEYS.has(text.slice(w, kwStart + m[0].length).toLowerCase())) continue
    }
    let ks = kwStart
    while (ks > 0 && kwStart - ks < 80 && isKeyChar(text.charCodeAt(ks - 1))) ks--
    // ${DB_PASSWORD}, {password}, %PASSWORD%: a reference, not an assignment
    const before = codeAt(text, ks - 1)
    if (before === 123 || before === 36 || before === 37) continue
    // SECRET_KEY_BASE, DB_PASSWORD_PROD, TOKEN2
    const suffix = KEY_SUFFIX.exec(text.slice(kwEnd, kwEnd + 16))
    const keyEnd = kwEnd + (suffix ? suffix[0].length : 0)
    const key = text.slice(ks, keyEnd).toLowerCase()
    if (NOT_SECRET_KEY.test(key)) continue
    const found = valueAfter(text, keyEnd, key, ks)
    if (!found) continue
    const kind = kindOf(key, found.value)
    if (!valueOk(found.value, kind, found)) continue
    push(kind, found.start, found.end)
    KEY_WORD.lastIndex = Math.max(KEY_WORD.lastIndex, found.end)
  }
}

interface Found {
  value: string
  start: number
  end: number
  quoted: boolean
  /** `key = value`, `key: value` (spaces around the operator) */
  spaced: boolean
  op: string
}

/** Whether only blanks precede `pos` on its line. */
function atLineStart(text: string, pos: number): boolean {
  let i = pos
  while (i > 0 && pos - i < 200 && (text[i - 1] === ' ' || text[i - 1] === '\t')) i--
  return i === 0 || text[i - 1] === '\n' || text[i - 1] === '\r'
}

function valueAfter(text: string, from: number, key: string, keyStart: number): Found | undefined {
  let i = from
  const q0 = text[i]
  if (q0 === '"' || q0 === "'") i++ // closing quote of a quoted key
  const opStart = i
  while (i < text.length && i - opStart < 4 && (text[i] === ' ' || text[i] === '\t')) i++
  const spaceBefore = i > opStart
  let op: string
  if (text.startsWith('=>', i) || text.startsWith(':=', i)) op = text.slice(i, i + 2)
  else if (text[i] === '=' || text[i] === ':') op = text[i] as string
  else if (spaceBefore && /^(?:is|was)[ \t]/i.test(text.slice(i, i + 4)) && /pass|pwd/.test(key)) op = 'is'
  else if (spaceBefore && key.startsWith('--')) op = ' '
  else if (spaceBefore && /pass|pwd/.test(key) && atLineStart(text, keyStart)) op = 'line' // .netrc, ftp scripts: `password s3cr3t`
  else return undefined
  if (op === '=' && (text[i + 1] === '=' || text[i - 1] === '!' || text[i - 1] === '<' || text[i - 1] === '>')) return undefined // ==, !=, <=
  i += op === ' ' || op === 'line' ? 0 : op.length
  const valueStart0 = i
  while (i < text.length && i - valueStart0 < 4 && (text[i] === ' ' || text[i] === '\t')) i++
  const spaced = spaceBefore || i > valueStart0
  const q = text[i]
  if (q === '"' || q === "'" || q === '`') {
    // to the closing quote; a backslash-escaped quote (JSON "pa\"ss") is part of the value
    let close = i + 1
    while (close < text.length && close - i <= 512 && text[close] !== q && text[close] !== '\n') close += text[close] === '\\' ? 2 : 1
    if (text[close] !== q) return undefined
    const value = text.slice(i + 1, close)
    return { value, start: i + 1, end: close, quoted: true, spaced, op }
  }
  // unquoted: to whitespace or a delimiter; & and ; end the value only where another key=… or the line follows
  const start = i
  while (i < text.length && i - start < 256) {
    const c = text.charCodeAt(i)
    // whitespace " ' ` , < >
    if (c <= 32 || c === 34 || c === 39 || c === 96 || c === 44 || c === 60 || c === 62 || c === 0xa0) break
    if ((c === 38 || c === 59) && (i + 1 === text.length || /^(?:\s|[A-Za-z_][\w.-]*=|<)/.test(text.slice(i + 1, i + 65)))) break // & ;
    i++
  }
  let end = i
  // a closing bracket the value did not open belongs to the text around it: (password=hunter2)
  while (end > start && /[)\]}]/.test(text[end - 1] as string) && !/[([{]/.test(text.slice(start, end - 1))) end--
  if (end === start) return undefined
  const value = text.slice(start, end)
  if (op === ':' || op === 'line') {
    // YAML `password: x` holds the line; `Password: must be 8 characters` is prose
    const rest = text.slice(i, Math.min(text.length, i + 120)).split('\n')[0] as string
    if (!/^\s*(?:#.*)?$/.test(rest) && !/^[,}\]]/.test(rest.trimStart())) return undefined
  }
  return { value, start, end, quoted: false, spaced, op }
}

function kindOf(key: string, value: string): EntityName {
  if (/aws|secret_?access|secretaccess/.test(key) && /^[A-Za-z0-9/+]{40}$/.test(value)) return 'aws_secret_key'
  if (/pass|pwd/.test(key)) return 'password'
  return 'generic_secret'
}

function valueOk(value: string, kind: EntityName, f: Found): boolean {
  const v = value
  if (isReferenceOrWord(v)) return false
  if (/^[*xX•#.\-_=0]+$/.test(v) || /(.)\1{5,}/.test(v)) return false
  if (/[<>]|\{\{|\$\{|\.\.\.|…/.test(v) || /your|placeholder|redacted|_here$|-here$|\bhere$/i.test(v)) return false
  if (/\s/.test(v)) {
    // a passphrase in quotes, not a sentence
    if (kind !== 'password' || !f.quoted || v.length > 64 || PROSE_WORD.test(v) || /[.?!:]$/.test(v)) return false
  }
  if (!f.quoted) {
    if (/[([{]/.test(v)) return false // call(), dict['x'], {…}
    if (/^[*&!]/.test(v)) return false // YAML alias, anchor or tag
    // args.password, settings.SECRET — but not a dotted token (Discord: base64.base64.base64)
    if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(v) && !v.split('.').some((seg) => seg.length >= 16 && mixedClasses(seg))) return false
    if (f.spaced && /^[A-Za-z_][\w]*$/.test(v) && !/\d/.test(v) && (/_/.test(v) || /[a-z][A-Z]/.test(v) || /pass|pwd|secret|token|key|cred/i.test(v))) return false // a variable
    if (/^\$[A-Za-z_]\w*$/.test(v)) return false
  }
  if (f.op === 'is' || f.op === 'line') {
    // "the password is hunter2" — not "the password is incorrect"
    const core = v.replace(/[.,!?;:]+$/, '')
    if (core.length < 6 || !/[^A-Za-z]/.test(core)) return false
  }
  if (kind === 'password') return v.length >= 4 && v.length <= 256
  if (kind === 'aws_secret_key') return true
  // tokens and keys: no spaces, long enough, not a plain number or word
  if (v.length < 8 || v.length > 512) return false
  if (/^\d+(?:\.\d+)?$/.test(v)) return false
  if (/^[a-z]+$/.test(v) && v.length < 16) return false
  if (/secret|token|apikey|api_key/i.test(v) && !/\d/.test(v)) return false
  return true
}

// ─── passwords in prose and shell one-liners ───────────────────────────────

// "use hunter2 as the password", echo 'pw' | sudo -S, sudo -S <<< 'pw'
const PROSE_PASSWORD = /\b(?:use|using|with|try)[ \t]+[`'"]?([^\s`'"]{6,64})[`'"]?[ \t]+as[ \t]+(?:the[ \t]+|my[ \t]+|your[ \t]+|a[ \t]+)?(?:password|passphrase|passcode|pwd)\b/gi
const SUDO_PASSWORD = /\becho[ \t]+(['"]?)([^\s'"|]{1,128})\1[ \t]*\|[ \t]*sudo[ \t]+(?:-\w+[ \t]+)*-S\b|\bsudo[ \t]+(?:-\w+[ \t]+)*-S\b[^\n<]{0,40}<<<[ \t]*(['"]?)([^\s'"]{1,128})\3/g

function scanProsePasswords(text: string, push: Sink): void {
  if (/ as /i.test(text) && /pass|pwd/i.test(text)) {
    PROSE_PASSWORD.lastIndex = 0
    for (let m = PROSE_PASSWORD.exec(text); m !== null; m = PROSE_PASSWORD.exec(text)) {
      const v = m[1] as string
      if (!/[^A-Za-z]/.test(v) || isPlaceholder(v) || isReferenceOrWord(v)) continue
      const start = m.index + m[0].indexOf(v)
      push('password', start, start + v.length)
    }
  }
  if (text.includes('sudo')) {
    SUDO_PASSWORD.lastIndex = 0
    for (let m = SUDO_PASSWORD.exec(text); m !== null; m = SUDO_PASSWORD.exec(text)) {
      const v = (m[2] ?? m[4]) as string
      if (v.startsWith('$') || isPlaceholder(v) || isReferenceOrWord(v)) continue
      const start = m[2] !== undefined ? m.index + m[0].indexOf(v) : m.index + m[0].lastIndexOf(v)
      push('password', start, start + v.length)
    }
  }
}

// ─── the set ────────────────────────────────────────────────────────────────

export const CREDENTIAL_DETECTORS: readonly Detector[] = [
  {
    entities: [
      'aws_access_key',
      'aws_secret_key',
      'github_token',
      'gitlab_token',
      'slack_token',
      'openai_key',
      'anthropic_key',
      'stripe_key',
      'google_api_key',
      'npm_token',
      'huggingface_token',
      'jwt',
    ],
    scan: scanTokens,
  },
  { entities: ['private_key'], scan: scanPrivateKeys },
  { entities: ['url_password'], scan: scanUrlPasswords },
  { entities: ['bearer_token', 'password'], scan: scanAuthHeaders },
  { entities: ['slack_webhook'], scan: scanSlackWebhooks },
  { entities: ['password', 'generic_secret', 'aws_secret_key'], scan: scanAssignments },
  { entities: ['password'], scan: scanProsePasswords },
]
