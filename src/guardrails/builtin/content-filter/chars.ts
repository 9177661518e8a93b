// Character tests and context windows shared by the detectors (char codes,
// no regex: they run per candidate, not per character of the text).

export const isDigit = (c: number): boolean => c >= 48 && c <= 57
export const isUpper = (c: number): boolean => c >= 65 && c <= 90
export const isLower = (c: number): boolean => c >= 97 && c <= 122
export const isAlpha = (c: number): boolean => isUpper(c) || isLower(c)
export const isAlnum = (c: number): boolean => isDigit(c) || isAlpha(c)
/** [A-Za-z0-9_] */
export const isWord = (c: number): boolean => isAlnum(c) || c === 95

/** The char code at `i`, or -1 outside the text. */
export const codeAt = (text: string, i: number): number => (i >= 0 && i < text.length ? text.charCodeAt(i) : -1)

/** Up to `max` characters before `pos`, stopping at a line break, lower-cased. */
export function lineBefore(text: string, pos: number, max: number): string {
  let s = pos
  const limit = Math.max(0, pos - max)
  while (s > limit) {
    const c = text.charCodeAt(s - 1)
    if (c === 10 || c === 13) break
    s--
  }
  return text.slice(s, pos).toLowerCase()
}

/** The last match of a global regex in `s` (a short window), or undefined. */
export function lastMatch(re: RegExp, s: string): RegExpExecArray | undefined {
  re.lastIndex = 0
  let last: RegExpExecArray | undefined
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    last = m
    if (m[0] === '') re.lastIndex++
  }
  return last
}
