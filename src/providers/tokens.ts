// Token counting with gpt-tokenizer's o200k_base encoding. The encoding takes a
// few hundred milliseconds to load, so it loads on first use, not at start.
type Encoding = typeof import('gpt-tokenizer/encoding/o200k_base')

let loading: Promise<Encoding> | undefined

export function tokenizer(): Promise<Encoding> {
  loading ??= import('gpt-tokenizer/encoding/o200k_base')
  return loading
}

export async function countTokens(texts: readonly string[]): Promise<number> {
  const enc = await tokenizer()
  let n = 0
  for (const t of texts) if (t) n += enc.countTokens(t)
  return n
}
