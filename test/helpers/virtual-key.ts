// A virtual key as the key store hands it out, for tests of limits and budgets
// that need no database: a random hash and no limits unless given.
import { randomBytes } from 'node:crypto'
import type { VirtualKey } from '../../src/auth/keys.ts'
import { GatewayError } from '../../src/errors.ts'

export function virtualKey(fields: Partial<VirtualKey> = {}): VirtualKey {
  return {
    hash: randomBytes(32).toString('hex'),
    alias: null,
    teamId: null,
    models: [],
    guardrails: [],
    metadata: {},
    maxBudget: null,
    budgetDuration: null,
    budgetResetAt: null,
    spend: 0,
    rpmLimit: null,
    tpmLimit: null,
    expiresAt: null,
    createdAt: new Date(),
    ...fields,
  }
}

/** The refusal of a key whose max_budget is spent. */
export const budgetExceeded = (e: unknown): boolean => e instanceof GatewayError && e.status === 400 && e.code === 'budget_exceeded'
