// OpenAI legacy completions: POST /v1/completions (and without /v1), JSON and
// SSE.
import type { Completion, CompletionRequest } from '../../providers/types.ts'
import type { InboundProtocol } from '../protocol.ts'
import { completionRefusals } from './refusal.ts'
import { completionEvents } from './stream-events.ts'
import { openAITexts } from './texts.ts'
import { validateCompletion } from './validate.ts'
import { openAIErrors, openAIUsage } from './wire.ts'

export const completionProtocol: InboundProtocol<CompletionRequest, Completion, Completion> = {
  route: 'completions',
  paths: ['/v1/completions', '/completions'],
  callType: 'completion',
  validate: validateCompletion,
  texts: openAITexts('completion'),
  call: (p, d, req, opts) => p.completion(d, req, opts),
  usage: (answer) => openAIUsage(answer.usage),
  stream: {
    ...completionEvents,
    requested: (req) => req.stream === true,
    upstreamRequest: (req) => ({ ...req, stream_options: { ...req.stream_options, include_usage: true } }),
    wantsUsage: (req) => req.stream_options?.include_usage === true,
    call: (p, d, req, opts) => p.completionStream(d, req, opts),
  },
  answers: { ...openAIErrors, refusal: completionRefusals },
}
