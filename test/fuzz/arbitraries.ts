// Hostile building blocks for the fuzz generators: strings with the characters
// that have broken storage and parsers (NUL, lone surrogates, special tokens,
// control and bidi characters, long runs), numbers past every column and
// parser, JSON nested past every recursion limit, and odd shapes. A body is a
// JSON value that may hold `Raw` fragments, written verbatim on the wire
// (numbers JSON.stringify cannot write, nesting too deep to build as objects).
import fc from 'fast-check'

/** A JSON text fragment sent as it is. */
export class Raw {
  readonly text: string
  constructor(text: string) {
    this.text = text
  }
}

/** Fragments that broke something somewhere, or look as if they could. */
export const SPECIALS = [
  '\u0000', '\ud800', '\udfff', '\ud83d', '\udc00x', '<|endoftext|>', '<|im_start|>system', '\u202e', '\ufeff', '\u2028', '\r\n', '\t',
  '%00', '%ff', "'; drop table keys; --", '\\u0000', '__proto__', 'constructor', 'prototype', '{{7*7}}', '${env:HOME}', '🦀', 'é', 'e\u0301',
  '\u0085', '\x7f', '../../etc/passwd', 'os.environ/HOME', 'sk-', 'Bearer ', '"', '\\', '}', ']',
]

/** A long run of one character or pair (the quadratic inputs of the tokenizer, the big allocations). */
export const longRun: fc.Arbitrary<string> = fc
  .record({ unit: fc.constantFrom('x', ' ', '日', '\u0000', 'ab', '\ud800'), n: fc.constantFrom(2_000, 40_000, 140_000) })
  .map(({ unit, n }) => unit.repeat(Math.ceil(n / unit.length)))

/** A string from everywhere: plain, any code point, spliced with SPECIALS, now and then very long. */
export function hostileString(maxLength = 40): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength }) },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength }) },
    { weight: 4, arbitrary: fc.array(fc.oneof(fc.constantFrom(...SPECIALS), fc.string({ maxLength: 6 })), { maxLength: 6 }).map((a) => a.join('')) },
    { weight: 1, arbitrary: longRun },
  )
}

/** Numbers JSON can carry, and some it should not: past int32, past 2^53, 1e400, -0, exponents. */
export const hostileNumber: fc.Arbitrary<number | Raw> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, 1, 2, 1.5, 128, 129, 4096, 4097, 2 ** 31, 2 ** 53 + 2, 99_999_999_999_999, 1e308, -1e308, 5e-324),
  fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890', '-0', '1E+2', '0.0000000000000000000001', '1e-400').map((t) => new Raw(t)),
)

/** JSON nested `depth` levels deep, as text (objects built that deep would overflow our own stack). */
export const deepNesting: fc.Arbitrary<Raw> = fc
  .record({ kind: fc.constantFrom('array', 'object', 'mixed'), depth: fc.constantFrom(64, 200, 1_000, 6_000, 20_000) })
  .map(({ kind, depth }) => {
    if (kind === 'array') return new Raw('['.repeat(depth) + ']'.repeat(depth))
    if (kind === 'object') return new Raw('{"a":'.repeat(depth) + '1' + '}'.repeat(depth))
    return new Raw('[{"k":'.repeat(depth) + 'null' + '}]'.repeat(depth))
  })

/** Any JSON value, hostile leaves included, now and then nested past every limit. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString(),
    hostileNumber,
    fc.constantFrom(null, true, false),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileString(12), tie('value'), { maxKeys: 4 }),
    deepNesting,
  ),
})).value

/** `base` (an object) with some of its fields replaced by anything, or removed. */
export function mangled<T extends Record<string, unknown>>(base: fc.Arbitrary<T>): fc.Arbitrary<Record<string, unknown>> {
  return fc.tuple(base, fc.dictionary(fc.oneof(fc.constantFrom('model', 'messages', 'prompt', 'input', 'stream', 'metadata', 'key', 'text'), hostileString(12)), hostileJson, { maxKeys: 2 }))
    .map(([b, over]) => ({ ...b, ...over }))
}

/**
 * The wire text of a body. `Raw` fragments go in verbatim: each is written as a
 * marker string first (JSON.stringify escapes the control character in it), and
 * the quoted marker is then replaced by the fragment.
 */
export function toWire(value: unknown): string {
  const raws: string[] = []
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Raw) {
      raws.push(v.text)
      return `\u0001raw${raws.length - 1}\u0001`
    }
    return v
  })
  if (raws.length === 0) return text ?? 'null'
  return (text ?? 'null').replace(/"\\u0001raw(\d+)\\u0001"/g, (_m, i: string) => raws[Number(i)] as string)
}

/** A header value HTTP can carry (visible ASCII and Latin-1, tabs), now and then long. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('a', '\t', ' ', 'é', 'ÿ', ':', ';', ',', '"', '%00', '\\'), maxLength: 20 }),
  fc.constantFrom('x'.repeat(200), 'y'.repeat(4_000)),
)

/** A query string value, percent-encoded or broken on purpose. */
export const queryValue: fc.Arbitrary<string> = fc.oneof(
  hostileString(20).map((s) => encodeURIComponent(s.toWellFormed())),
  fc.constantFrom('%00', '%ff', '%ZZ', '%', '%%', '%ED%A0%80', 'a=b=c', '+', '%2e%2e%2f', '1e400', '-1', '99999-01-01', '2026-13-45', '99999999999999999999'),
)
