// Telling a secret from the text that stands in for one in docs and code:
// `sk-...`, `YOUR_API_KEY`, `<token>`, `${DB_PASSWORD}`, `********`,
// `os.environ["X"]`. Shared by the credential detectors.

const PLACEHOLDER_WORD = /your|placeholder|redacted|insert|replace|_here\b|-here\b|here$|<|>|\{\{|\}\}|\$\{|%\(|\.\.\.|…/i
const RUN = /(.)\1{5,}/
const MASKED = /^[*xX•#.\-_=0]+$/

/** A token-shaped value that is a stand-in: runs of one character, "your…here", <…>, ellipses. */
export function isPlaceholder(value: string): boolean {
  if (value.length === 0) return true
  if (MASKED.test(value)) return true
  if (RUN.test(value)) return true
  return PLACEHOLDER_WORD.test(value)
}

/** Upper, lower and (unless `digits` is false) a digit: what a random base62 key of 20+ characters always has. */
export function mixedClasses(value: string, digits = true): boolean {
  let upper = false
  let lower = false
  let digit = false
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c >= 65 && c <= 90) upper = true
    else if (c >= 97 && c <= 122) lower = true
    else if (c >= 48 && c <= 57) digit = true
  }
  return upper && lower && (digit || !digits)
}

const REFERENCE =
  /^(?:\$\{[^}]*\}|%[A-Za-z_]\w*%|\$\([^)]*\)|\{\{.*\}\}|<[^>]*>|\[[^\]]*\]|env\(.*|(?:os\.)?(?:environ|getenv)\b.*|process\.env\b.*|ENV\[.*|System\.getenv.*|!ref\b.*|vault:.*|secret:.*|arn:aws:secretsmanager.*)$/i

const WORDS = new Set([
  '', 'null', 'none', 'nil', 'undefined', 'true', 'false', 'yes', 'no', 'on', 'off', 'required', 'optional', 'empty', 'hidden',
  'masked', 'redacted', 'unknown', 'invalid', 'incorrect', 'wrong', 'same', 'see', 'below', 'above', 'here', 'ok', 'set', 'unset',
  'string', 'str', 'text', 'secret', 'password', 'passwd', 'pass', 'pwd', 'token', 'key', 'apikey', 'api_key', 'changeme', 'change_me',
  'tbd', 'todo', 'n/a', 'na', 'example', 'sample', 'test', 'dummy', 'foo', 'bar', 'baz', 'xxx', 'value', 'secret_key', 'mysecret',
  'mypassword', 'yourpassword', 'your_password', 'your-password', 'env', 'environment',
  'bearer', 'basic', 'token_here', 'secret_here', 'auto', 'random', 'generated', 'provided', 'given', 'stored', 'encrypted', 'hashed',
])

/** $DB_PASSWORD, upper case like an environment variable ($ecretPass1 is a password) */
const ENV_VAR = /^\$[A-Z_][A-Z0-9_]*$/

/** A value that refers to a secret kept elsewhere, or a word that is not one. */
export function isReferenceOrWord(value: string): boolean {
  const v = value.trim()
  if (WORDS.has(v.toLowerCase())) return true
  return ENV_VAR.test(v) || REFERENCE.test(v)
}
