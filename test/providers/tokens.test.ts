// Token counting is bounded: a long run of one character (quadratic for the
// byte-pair encoder as one piece) is counted in pieces, the event loop turns
// while a long text is counted, and past a size the rest is estimated.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { countTokens, tokenizer, truncateTokens } from '../../src/providers/tokens.ts'

/** How many times the event loop turned while `work` ran. */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0
  let on = true
  const spin = (): void => {
    if (!on) return
    turns++
    setImmediate(spin)
  }
  setImmediate(spin)
  const value = await work()
  on = false
  return { value, turns }
}

/** `n` pseudo-random lowercase letters: one pre-tokenised piece, and no two slices of it alike (the encoder caches pieces) */
function letters(n: number, seed = 1): string {
  let x = seed
  let out = ''
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648
    out += String.fromCharCode(97 + (x % 26))
  }
  return out
}

test('a long run without whitespace is counted in pieces, and the event loop keeps turning meanwhile', async () => {
  const enc = await tokenizer()
  // the encoder alone takes seconds on this as one piece, holding the loop all along
  const text = letters(128_000)
  const { value, turns } = await turnsDuring(() => countTokens([text]))
  assert.ok(turns >= 5, `the event loop turned ${turns} times during the count`)
  // a cut inside the run costs at most a token or two per piece
  const exactOfPieces = Array.from({ length: 125 }, (_, i) => enc.countTokens(text.slice(i * 1024, (i + 1) * 1024))).reduce((a, b) => a + b)
  assert.equal(value, exactOfPieces)
  assert.equal(await countTokens(['x'.repeat(64_000)]), 8_000) // "xxxxxxxx" is one token
})

test('text with whitespace is counted exactly, whatever its length up to the exact bound', async () => {
  const enc = await tokenizer()
  const prose = 'The quick brown fox jumps over the lazy dog, then naps. '.repeat(2000) // 112 KB
  const mixed = Array.from({ length: 4000 }, (_, i) => `item-${i}: {"k": ${i * 7919}}\n\t`).join('')
  for (const text of [prose, mixed]) assert.equal(await countTokens([text]), enc.countTokens(text), text.slice(0, 20))
  assert.equal(await countTokens([prose, mixed]), enc.countTokens(prose) + enc.countTokens(mixed))
  // a script without spaces is cut inside runs: within a tenth of a percent
  const cjk = '日本語のテキストです。これは長い文章。'.repeat(3000)
  const exact = enc.countTokens(cjk)
  assert.ok(Math.abs((await countTokens([cjk])) - exact) / exact < 0.001)
})

test('past the exact bound the rest is estimated at the counted ratio', async () => {
  const enc = await tokenizer()
  const prose = 'Portcullis counts tokens for budgets and limits, never blocking. '.repeat(30_000) // 1.9 MB
  const exact = enc.countTokens(prose)
  const counted = await countTokens([prose])
  assert.ok(Math.abs(counted - exact) / exact < 0.01, `estimated ${counted}, exact ${exact}`)
})

test('special-token text in a message is counted as plain text, not refused', async () => {
  assert.ok((await countTokens(['hello <|endoftext|> and <|im_start|>'])) > 5)
})

test('truncation keeps the first max tokens of even a long run of one character', async () => {
  const cut = await truncateTokens('echo: ' + 'x'.repeat(200_000), 10)
  assert.equal(cut.truncated, true)
  assert.equal(cut.tokens, 10)
  assert.match(cut.text, /^echo: x+$/)
  const whole = await truncateTokens('short text', 10)
  assert.deepEqual(whole, { text: 'short text', tokens: 2, truncated: false })
})
