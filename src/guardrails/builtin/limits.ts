// `limits`: the unbounded-consumption guard. Caps the size of what a call sends
// (characters, tokens, messages) and what it may ask for (max_tokens, n).
// Oversized input is always refused; the max_tokens and n caps either refuse
// (on_exceed: block) or clamp the request to the cap (on_exceed: clamp).
import { z } from 'zod'
import { countTokens, tokenizer } from '../../providers/tokens.ts'
import { parseParams } from '../params.ts'
import { ParamError, type GuardrailFactory } from '../factory.ts'
import type { Guardrail, GuardText, Verdict } from '../types.ts'

const cap = z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().int().positive())

const Params = z.object({
  max_input_chars: cap.optional(),
  max_input_tokens: cap.optional(),
  max_messages: cap.optional(),
  max_tokens: cap.optional(),
  max_n: cap.optional(),
  on_exceed: z.enum(['block', 'clamp']).default('block'),
})

export const createLimits: GuardrailFactory = async (params) => {
  const p = parseParams(Params, params)
  if (Object.values(p).filter((v) => typeof v === 'number').length === 0) {
    throw new ParamError('max_input_chars', 'limits needs at least one of max_input_chars, max_input_tokens, max_messages, max_tokens, max_n')
  }
  // load the encoding at start, not on the first call
  if (p.max_input_tokens !== undefined) await tokenizer()

  const guardrail: Guardrail = {
    async checkInput(texts: GuardText[], ctx): Promise<Verdict> {
      const req = ctx.request
      if (p.max_messages !== undefined && Array.isArray(req.messages) && req.messages.length > p.max_messages) {
        return { action: 'block', reason: `${req.messages.length} messages, more than the limit of ${p.max_messages}`, code: 'too_many_messages' }
      }
      if (p.max_input_chars !== undefined) {
        let chars = 0
        for (const t of texts) chars += t.text.length
        if (chars > p.max_input_chars) return { action: 'block', reason: `input of ${chars} characters, more than the limit of ${p.max_input_chars}`, code: 'input_too_large' }
      }
      if (p.max_input_tokens !== undefined) {
        // cheap bound first: a token is at least one character
        let chars = 0
        for (const t of texts) chars += t.text.length
        if (chars > p.max_input_tokens) {
          const tokens = await countTokens(texts.map((t) => t.text))
          if (tokens > p.max_input_tokens) return { action: 'block', reason: `input of ${tokens} tokens, more than the limit of ${p.max_input_tokens}`, code: 'input_too_large' }
        }
      }
      const clamp: Record<string, unknown> = {}
      const over: string[] = []
      if (p.max_tokens !== undefined) {
        for (const field of ['max_tokens', 'max_completion_tokens'] as const) {
          const asked = req[field]
          if (typeof asked === 'number' && asked > p.max_tokens) {
            over.push(`${field} ${asked} > ${p.max_tokens}`)
            clamp[field] = p.max_tokens
          }
        }
        // no cap asked for at all: unbounded, so the cap is set (as max_tokens, which
        // every OpenAI-compatible server and the Anthropic translation understand)
        if (req.max_tokens == null && req.max_completion_tokens == null && ctx.callType !== 'embeddings') {
          clamp.max_tokens = p.max_tokens
        }
      }
      if (p.max_n !== undefined && typeof req.n === 'number' && req.n > p.max_n) {
        over.push(`n ${req.n} > ${p.max_n}`)
        clamp.n = p.max_n
      }
      if (over.length > 0 && p.on_exceed === 'block') {
        return { action: 'block', reason: `request exceeds limits: ${over.join(', ')}`, code: 'limit_exceeded' }
      }
      if (Object.keys(clamp).length === 0) return { action: 'allow' }
      return {
        action: 'rewrite',
        texts: texts.map((t) => t.text),
        params: clamp,
        ...(over.length > 0 ? { reason: `clamped: ${over.join(', ')}` } : { reason: 'max_tokens set to the cap' }),
      }
    },
  }
  return guardrail
}
