// Token counting with gpt-tokenizer's o200k_base encoding, bounded so that no
// text a client sends can hold the event loop:
// - byte-pair encoding is quadratic in the length of one pre-tokenised piece
//   (64,000 × "x" is one piece: 6 s), so text reaches the encoder in pieces of
//   at most PIECE characters, cut where the encoder itself would split (the
//   count is then what the whole text gives; a cut inside a long run without
//   whitespace adds at most a token or two per PIECE characters);
// - work runs in slices of SLICE_MS and yields to the event loop between them;
// - past EXACT_CHARS characters the rest is estimated at the token-per-character
//   ratio of what was counted (the count is for accounting, not billing truth:
//   the upstream's own usage wins whenever it reports one).
// Special-token text such as "<|endoftext|>" is counted as plain text, as the
// upstreams treat it in a user's message (the encoder would otherwise throw).
// The encoding takes a few hundred milliseconds to load, so it loads on first
// use, not at start.
type Encoding = typeof import('gpt-tokenizer/encoding/o200k_base')

/** the longest text handed to the encoder at once (~0.8 ms for the worst case, a run of one letter) */
const PIECE = 1024
/** the longest the event loop is held before the count yields */
const SLICE_MS = 3
/** characters counted exactly per call; the rest is estimated */
const EXACT_CHARS = 256 * 1024

const PLAIN = { disallowedSpecial: new Set<string>() }

let loading: Promise<Encoding> | undefined

export function tokenizer(): Promise<Encoding> {
  loading ??= import('gpt-tokenizer/encoding/o200k_base')
  return loading
}

/** Yields to the event loop once the current slice of work has run SLICE_MS. */
class Slicer {
  private started = performance.now()
  async pause(): Promise<void> {
    if (performance.now() - this.started < SLICE_MS) return
    await new Promise<void>((r) => setImmediate(r))
    this.started = performance.now()
  }
}

/**
 * Tokens in `texts`. Counting stops early once the total passes `atMost`
 * (the caller only needs to know it is over).
 */
export async function countTokens(texts: readonly string[], opts: { atMost?: number } = {}): Promise<number> {
  const enc = await tokenizer()
  const atMost = opts.atMost ?? Infinity
  const slicer = new Slicer()
  let tokens = 0
  let counted = 0
  let total = 0
  for (const t of texts) total += t.length
  for (const t of texts) {
    for (let from = 0; from < t.length; ) {
      if (counted >= EXACT_CHARS) return tokens + Math.ceil((total - counted) * (tokens / counted))
      const to = cut(t, from)
      tokens += enc.countTokens(t.slice(from, to), PLAIN)
      counted += to - from
      from = to
      if (tokens > atMost) return tokens
      await slicer.pause()
    }
  }
  return tokens
}

/** `text` cut to its first `max` tokens (the echo model's max_tokens), with its token count. */
export async function truncateTokens(text: string, max: number): Promise<{ text: string; tokens: number; truncated: boolean }> {
  const enc = await tokenizer()
  const slicer = new Slicer()
  const kept: number[] = []
  for (let from = 0; from < text.length; ) {
    const to = cut(text, from)
    const ids = enc.encode(text.slice(from, to), PLAIN)
    if (kept.length + ids.length > max) {
      kept.push(...ids.slice(0, max - kept.length))
      return { text: enc.decode(kept), tokens: max, truncated: true }
    }
    kept.push(...ids)
    from = to
    await slicer.pause()
  }
  return { text, tokens: kept.length, truncated: false }
}

/**
 * Where the piece starting at `from` ends: at most PIECE characters on. In the
 * piece's second half it prefers the encoder's own boundaries: before a space
 * that follows a word (" word" is one piece to the encoder), else before a run
 * of whitespace; only a run with neither is cut inside.
 */
function cut(text: string, from: number): number {
  const end = from + PIECE
  if (end >= text.length) return text.length
  const half = from + PIECE / 2
  for (let i = end; i > half; i--) if (text.charCodeAt(i) === 32 && !isSpace(text.charCodeAt(i - 1))) return i
  for (let i = end; i > half; i--) if (isSpace(text.charCodeAt(i)) && !isSpace(text.charCodeAt(i - 1))) return i
  // never between the two halves of a surrogate pair
  const c = text.charCodeAt(end - 1)
  return c >= 0xd800 && c <= 0xdbff ? end - 1 : end
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x3000
}
