// Who is calling. With a master key configured every /v1 and admin route needs
// `Authorization: Bearer <key>`; the comparison hashes both sides first so it
// runs in constant time whatever the lengths.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { GatewayError } from '../errors.ts'

export interface Caller {
  /** 'master' for the master key; 'open' when no master key is configured */
  kind: 'master' | 'open'
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest()

export class Authenticator {
  private readonly masterHash: Buffer | undefined

  constructor(masterKey: string | undefined) {
    this.masterHash = masterKey === undefined ? undefined : sha256(masterKey)
  }

  get open(): boolean {
    return this.masterHash === undefined
  }

  authenticate(headers: IncomingHttpHeaders): Caller {
    if (this.masterHash === undefined) return { kind: 'open' }
    const token = bearerToken(headers)
    if (token === undefined) {
      throw new GatewayError(401, 'missing API key: send Authorization: Bearer <key>', { code: 'invalid_api_key' })
    }
    if (timingSafeEqual(sha256(token), this.masterHash)) return { kind: 'master' }
    throw new GatewayError(401, 'invalid API key', { code: 'invalid_api_key' })
  }
}

/** The key from `Authorization: Bearer …` (or LiteLLM's `x-litellm-api-key`). */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth)
    if (m) return m[1]
  }
  const alt = headers['x-litellm-api-key']
  if (typeof alt === 'string' && alt.trim() !== '') return alt.trim().replace(/^Bearer\s+/i, '')
  return undefined
}
