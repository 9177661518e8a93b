// OpenAI embeddings: POST /v1/embeddings (and without /v1). No stream, and no
// text answer to refuse with: a guardrail's block is always the 400.
import type { EmbeddingRequest, EmbeddingResponse } from '../../providers/types.ts'
import type { InboundProtocol } from '../protocol.ts'
import { openAITexts } from './texts.ts'
import { validateEmbedding } from './validate.ts'
import { openAIErrors, openAIUsage } from './wire.ts'

export const embeddingsProtocol: InboundProtocol<EmbeddingRequest, EmbeddingResponse, never> = {
  route: 'embeddings',
  paths: ['/v1/embeddings', '/embeddings'],
  callType: 'embeddings',
  validate: validateEmbedding,
  texts: openAITexts('embeddings'),
  call: (p, d, req, opts) => p.embeddings(d, req, opts),
  usage: (answer) => openAIUsage(answer.usage),
  stream: undefined,
  answers: openAIErrors,
}
