// A worked example of a user's own guardrail (`guardrail: custom`).
//
// The module's default export is a factory: it receives the guardrail's params
// (every key under `litellm_params` in the config) and returns a Guardrail. It
// never sees HTTP: the gateway hands it the texts of a call (message contents,
// tool-call arguments, answers…) and it answers a verdict. The gateway enforces
// its timeout and `on_error` policy, writes rewrites back, and streams work with
// no extra code here.
//
// Used by examples/portcullis.custom.yaml:
//   npx portcullis serve --config examples/portcullis.custom.yaml
import type { Guardrail, GuardText, Verdict } from '../src/guardrails/types.ts'

interface Params {
  /** words to act on (case-insensitive, whole words) */
  words?: unknown
  /** mask them (default) or block the whole call */
  action?: unknown
}

export default function bannedWords(params: Params): Guardrail {
  const words = Array.isArray(params.words) ? params.words.filter((w): w is string => typeof w === 'string' && w !== '') : []
  if (words.length === 0) throw new Error('banned-words needs `words: [..]`')
  const action = params.action === 'block' ? 'block' : 'mask'
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  const pattern = new RegExp(`\\b(?:${escaped.join('|')})\\b`, 'gi')

  const check = async (texts: GuardText[]): Promise<Verdict> => {
    let hits = 0
    const rewritten = texts.map((t) =>
      t.text.replace(pattern, (m) => {
        hits++
        return '*'.repeat(m.length)
      }),
    )
    if (hits === 0) return { action: 'allow' }
    if (action === 'block') return { action: 'block', reason: `${hits} banned word(s)` }
    return { action: 'rewrite', texts: rewritten, reason: `masked ${hits} banned word(s)` }
  }

  return { name: 'banned-words', checkInput: check, checkOutput: check }
}
