// OpenAI Chat Completions: POST /v1/chat/completions (and without /v1), JSON
// and SSE, sent to every deployment as chat (providers translate, e.g. to
// Anthropic's Messages API).
import type { ChatChunk, ChatCompletion, ChatRequest } from '../../providers/types.ts'
import type { InboundProtocol } from '../protocol.ts'
import { chatRefusals } from './refusal.ts'
import { chatEvents } from './stream-events.ts'
import { openAITexts } from './texts.ts'
import { validateChat } from './validate.ts'
import { openAIErrors, openAIUsage } from './wire.ts'

export const chatProtocol: InboundProtocol<ChatRequest, ChatCompletion, ChatChunk> = {
  route: 'chat',
  paths: ['/v1/chat/completions', '/chat/completions'],
  callType: 'chat',
  validate: validateChat,
  texts: openAITexts('chat'),
  call: (p, d, req, opts) => p.chat(d, req, opts),
  usage: (answer) => openAIUsage(answer.usage),
  stream: {
    ...chatEvents,
    requested: (req) => req.stream === true,
    upstreamRequest: (req) => ({ ...req, stream_options: { ...req.stream_options, include_usage: true } }),
    wantsUsage: (req) => req.stream_options?.include_usage === true,
    call: (p, d, req, opts) => p.chatStream(d, req, opts),
  },
  answers: { ...openAIErrors, refusal: chatRefusals },
}
