// Measures the content_filter built-in detectors over a few KB of ordinary
// text (prose, code, JSON, logs, markdown) and over adversarial inputs.
//   npx node bench/content-filter.ts
import { contentScanner, createContentFilter } from '../src/guardrails/builtin/content-filter.ts'
import { CREDENTIAL_DETECTORS } from '../src/guardrails/builtin/content-filter/credentials.ts'
import { resolveParams } from '../src/guardrails/builtin/content-filter/params.ts'
import { PII_DETECTORS } from '../src/guardrails/builtin/content-filter/pii.ts'
import { ADVERSARIAL_INPUTS } from '../test/corpus/adversarial.ts'
import { guardContext } from '../test/guardrails/unit/helpers.ts'

const PROSE = `Quarterly planning notes. The platform team shipped release 4.12.0 on 2024-03-18, two weeks
after the 4.11.2 hotfix. Latency at p99 dropped from 412 ms to 187 ms after we moved the token cache
into Redis 7.2 and raised the pool size to 64. Revenue for the period was $1,284,500.00, up 12.5% on
the previous quarter; churn held at 3.1%. Our next review is on 12/06/2024 at 10:30 in room B-214.
Please read "Designing Data-Intensive Applications" (ISBN 978-1-4493-7332-0) before the offsite, and
bring the password policy draft: passwords must be at least 14 characters and rotated every 90 days.
The migration touched 1,482 tables and 37 services; order 88123-4471 was the last one to reconcile.
Questions go to the #platform channel or to the team alias in the wiki. Version 2.0 of the API keeps
the same endpoints; the old /v1/tokens route returns 410 Gone from June. Thanks, and see you Monday.
`

const CODE = `import { createHash } from 'node:crypto'
import type { Request, Response } from 'express'

export interface User { id: string; email: string; passwordHash: string; createdAt: Date }

const MAX_TOKENS = 4096
const RETRY_DELAYS_MS = [100, 250, 500, 1000]

export async function login(req: Request, res: Response): Promise<void> {
  const { username, password } = req.body as { username: string; password: string }
  const user = await db.users.findOne({ where: { username } })
  if (!user || !(await verify(password, user.passwordHash))) {
    res.status(401).json({ error: 'invalid credentials' })
    return
  }
  const token = signSession({ sub: user.id, exp: Math.floor(Date.now() / 1000) + 3600 })
  res.cookie('session', token, { httpOnly: true, secure: true, sameSite: 'lax' })
  res.json({ ok: true, user: { id: user.id, email: user.email } })
}

function digest(input: string): string {
  return createHash('sha256').update(input).digest('hex') // e.g. 9f86d081884c7d659a2feaa0c55ad015
}
for (let i = 0; i < RETRY_DELAYS_MS.length; i++) console.log(\`retry \${i} after \${RETRY_DELAYS_MS[i]}ms\`)
`

const JSON_TEXT = JSON.stringify(
  {
    id: 'chatcmpl-8f3a2c1e-4b7d-4e0a-9c3f-1a2b3c4d5e6f',
    object: 'chat.completion',
    created: 1710776400,
    model: 'gpt-4o-mini-2024-07-18',
    usage: { prompt_tokens: 1532, completion_tokens: 418, total_tokens: 1950 },
    items: Array.from({ length: 12 }, (_, i) => ({
      sku: `SKU-${10400 + i * 7}`,
      name: ['widget', 'gadget', 'sprocket', 'flange'][i % 4],
      price: Number((19.99 + i * 3.25).toFixed(2)),
      qty: (i * 13) % 17,
      uuid: `6f1c${i}e2a-93b4-4c1d-8e2f-0a1b2c3d4e5${i % 10}`,
      updated: `2024-0${(i % 9) + 1}-1${i % 10}T08:${10 + i}:00Z`,
    })),
    commit: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3',
    next_page_token: null,
  },
  null,
  2,
)

const LOGS = Array.from(
  { length: 24 },
  (_, i) =>
    `2024-03-18T10:${String(i).padStart(2, '0')}:1${i % 10}.${100 + i}Z INFO  req=${(0x5f3a9c + i * 977).toString(16)} method=POST path=/v1/chat/completions status=${i % 7 === 0 ? 429 : 200} dur_ms=${40 + ((i * 37) % 300)} model=gpt-4o-mini tokens=${800 + i * 11} build=1.${i % 5}.${i}`,
).join('\n')

const MARKDOWN = `## Release checklist

1. Bump the version in \`package.json\` to 3.4.1 and tag \`v3.4.1\`.
2. Run \`npm ci && npm test\` — all 1,204 tests must pass.
3. Update CHANGELOG.md (section 3.4.1, dated 2024-03-18).
4. For support, write to support@acme-widgets.com or call +1 (415) 555-0132.

| metric | before | after |
| ------ | ------ | ----- |
| p50    | 38 ms  | 21 ms |
| p99    | 412 ms | 187 ms |
`

const MIXED = [PROSE, CODE, JSON_TEXT, LOGS, MARKDOWN].join('\n\n')

const ctx = guardContext()

/**
 * µs per KB of `fn` over `bytes`: rounds of back-to-back calls, reporting the
 * best round (least disturbed by other processes) and the median round.
 */
async function measure(label: string, bytes: number, fn: () => unknown, rounds = 15, minRoundMs = 40): Promise<number> {
  for (let i = 0; i < 50; i++) await fn() // warm up
  const perRound: number[] = []
  let calls = 0
  for (let r = 0; r < rounds; r++) {
    let n = 0
    const start = performance.now()
    let now = start
    while (now - start < minRoundMs) {
      await fn()
      n++
      now = performance.now()
    }
    calls += n
    perRound.push(((now - start) * 1000) / n / (bytes / 1024))
  }
  perRound.sort((a, b) => a - b)
  const best = perRound[0] as number
  const median = perRound[Math.floor(perRound.length / 2)] as number
  console.log(`${label.padEnd(46)} best ${best.toFixed(2).padStart(7)}  median ${median.toFixed(2).padStart(7)} µs/KB  (${calls} calls)`)
  return best
}

const bytes = Buffer.byteLength(MIXED)
console.log(`mixed text: ${(bytes / 1024).toFixed(1)} KB (prose, TypeScript, JSON, logs, markdown)\n`)

const all = await createContentFilter({}, { name: 'bench', configDir: process.cwd() })
const texts = [{ index: 0, text: MIXED, source: 'user' as const }]
const total = await measure('content_filter (pii + credentials), guardrail', bytes, () => all.checkInput?.(texts, ctx), 30)
for (const [name, params] of [
  ['pii + credentials', {}],
  ['pii only', { categories: ['pii'] }],
  ['credentials only', { categories: ['credentials'] }],
] as const) {
  const s = contentScanner(await resolveParams(params, process.cwd()))
  await measure(`  scanner: ${name}`, bytes, () => s.scan(MIXED))
}
console.log('\nper detector:')
for (const d of [...PII_DETECTORS, ...CREDENTIAL_DETECTORS]) await measure(`  ${d.entities.slice(0, 3).join(',')}${d.entities.length > 3 ? ',…' : ''}`, bytes, () => d.scan(MIXED, () => {}), 8, 20)

console.log('\nadversarial 100 KB inputs (whole built-in set, one call each):')
const scanner = contentScanner(await resolveParams({}, process.cwd()))
for (const [label, input] of Object.entries(ADVERSARIAL_INPUTS)) {
  const t = performance.now()
  scanner.scan(input)
  console.log(`  ${label.padEnd(40)} ${(performance.now() - t).toFixed(1).padStart(7)} ms`)
}
console.log(`\nresult: ${total.toFixed(1)} µs/KB (best round) for the built-in set on ordinary text (target < 50)`)
