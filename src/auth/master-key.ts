// Who is calling. With a master key configured every /v1 and admin route needs
// `Authorization: Bearer <key>`; the comparison hashes both sides first so it
// runs in constant time whatever the lengths.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { GatewayError } from '../errors.ts'
import type { KeyStore, VirtualKey } from './keys.ts'

/** Who is calling: the master key, a virtual key, or anyone (no master key configured). */
export type Caller = { kind: 'master' } | { kind: 'open' } | { kind: 'key'; key: VirtualKey }

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest()

export class Authenticator {
  private readonly masterHash: Buffer | undefined
  private readonly keys: KeyStore | undefined

  constructor(masterKey: string | undefined, keys?: KeyStore) {
    this.masterHash = masterKey === undefined ? undefined : sha256(masterKey)
    this.keys = keys
  }

  get open(): boolean {
    return this.masterHash === undefined
  }

  async authenticate(headers: IncomingHttpHeaders): Promise<Caller> {
    if (this.masterHash === undefined) return { kind: 'open' }
    const token = bearerToken(headers)
    if (token === undefined) {
      throw new GatewayError(401, 'missing API key: send Authorization: Bearer <key>', { code: 'invalid_api_key' })
    }
    if (timingSafeEqual(sha256(token), this.masterHash)) return { kind: 'master' }
    const key = this.keys ? await this.lookup(token) : undefined
    if (!key) throw new GatewayError(401, 'invalid API key', { code: 'invalid_api_key' })
    if (key.expiresAt && key.expiresAt.getTime() <= Date.now()) {
      throw new GatewayError(401, `API key expired at ${key.expiresAt.toISOString()}`, { code: 'expired_api_key' })
    }
    return { kind: 'key', key }
  }

  /** Admin routes are the master key's (or anyone's when no master key is set). */
  requireAdmin(caller: Caller): void {
    if (caller.kind === 'key') throw new GatewayError(403, 'this route needs the master key', { type: 'permission_error', code: 'admin_only' })
  }

  private async lookup(token: string): Promise<VirtualKey | undefined> {
    try {
      return await (this.keys as KeyStore).lookup(token)
    } catch {
      // storage down: a key we cannot check is refused, never let through
      throw new GatewayError(503, 'cannot check the API key right now: key storage is unavailable', { code: 'storage_unavailable' })
    }
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
