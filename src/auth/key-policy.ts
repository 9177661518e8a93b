// What a virtual key's own policy says about a call before it runs, besides
// its rate limits and budget (src/quotas/): the models it may use.
import { GatewayError } from '../errors.ts'
import type { VirtualKey } from './keys.ts'

/** Throws 403 model_not_allowed when `model` is not among the key's models (an empty list allows all). */
export function requireModelAllowed(key: VirtualKey, model: unknown): void {
  if (key.models.length > 0 && typeof model === 'string' && !key.models.includes(model)) {
    throw new GatewayError(403, `this key may not use model "${model}" (allowed: ${key.models.join(', ')})`, {
      type: 'permission_error',
      code: 'model_not_allowed',
      param: 'model',
    })
  }
}
