// The Hlido agent-trust guardrail on its own, against the fake Hlido API:
// trusted subjects only, slugs that cannot leave their path, a bounded cache
// whose concurrent misses make one lookup, tiers and scores, and answers
// checked before they are trusted.
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { ParamError } from '../../../src/guardrails/factory.ts'
import { createHlido } from '../../../src/guardrails/external/hlido.ts'
import { tierOf } from '../../../src/guardrails/external/hlido/params.ts'
import { agentPath, callerSlugs, slugProblem } from '../../../src/guardrails/external/hlido/slugs.ts'
import { ServiceError } from '../../../src/guardrails/external/service.ts'
import type { GuardContext, Guardrail, Verdict } from '../../../src/guardrails/types.ts'
import { defaultAgents, startFakeHlido, type FakeHlido } from '../../servers/fake-hlido.ts'

const TEXTS = [{ index: 0, text: 'hi', source: 'user' as const }]

function ctxOf(opts: { caller?: Record<string, unknown>; metadata?: Record<string, unknown>; signal?: AbortSignal } = {}): GuardContext {
  return {
    requestId: 'req-1',
    model: 'gpt',
    callType: 'chat',
    mode: 'pre_call',
    signal: opts.signal ?? new AbortController().signal,
    caller: opts.caller ?? {},
    requestMetadata: opts.metadata ?? {},
    request: {},
  }
}

const PATH_TRICKS = ['../admin', 'a/b', 'x?score=100', '%2e%2e', '.', '..', 'a'.repeat(129), '', '-lead', 'a#b', 'a\\b', 'ag ent', 'agént', 'klariqo/../try-sanebox']

describe('hlido: slugs', () => {
  test('valid slugs pass, path tricks and over-long slugs do not', () => {
    for (const ok of ['klariqo', 'try-sanebox', 'A.b_c-9', '9', 'a'.repeat(128), 'v1.2']) assert.equal(slugProblem(ok), undefined, ok)
    for (const bad of PATH_TRICKS) assert.ok(slugProblem(bad), `refused: ${JSON.stringify(bad)}`)
    assert.ok(slugProblem(42))
    assert.ok(slugProblem(null))
  })

  test('the lookup path is /v1/agents/<slug>, after the api_base prefix the client adds', () => {
    assert.equal(agentPath('https://hlido.eu', 'klariqo'), '/v1/agents/klariqo')
    assert.equal(agentPath('http://127.0.0.1:9/hlido/api', 'try-sanebox'), '/v1/agents/try-sanebox')
    for (const bad of PATH_TRICKS) assert.throws(() => agentPath('https://hlido.eu', bad), Error, JSON.stringify(bad))
  })

  test('the caller gives slugs at its top level and in its metadata', () => {
    assert.deepEqual(callerSlugs({}), { slugs: [] })
    assert.deepEqual(callerSlugs({ hlido_slugs: 'a' }), { slugs: ['a'] })
    assert.deepEqual(callerSlugs({ metadata: { hlido_slugs: ['b', 'c'] } }), { slugs: ['b', 'c'] })
    assert.deepEqual(callerSlugs({ hlido_slugs: ['a'], metadata: { hlido_slugs: ['b'] } }), { slugs: ['a', 'b'] })
    assert.ok('problem' in callerSlugs({ metadata: { hlido_slugs: ['../x'] } }))
    assert.ok('problem' in callerSlugs({ hlido_slugs: { a: 1 } }))
  })

  test('tiers derived from the score', () => {
    assert.deepEqual([100, 90, 89.9, 70, 69, 40, 39, 0].map(tierOf), ['VITAL', 'VITAL', 'STEADY', 'STEADY', 'FADING', 'FADING', 'FLATLINE', 'FLATLINE'])
  })
})

describe('hlido: params', () => {
  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['a typo in on_unverified', { on_unverified: 'alow' }, 'on_unverified'],
    ['a typo in on_missing_subject', { on_missing_subject: 'blok' }, 'on_missing_subject'],
    ['a free string in on_error', { on_error: 'fail' }, 'on_error'],
    ['an unknown tier', { allowed_tiers: ['vital', 'GOLD'] }, 'allowed_tiers.1'],
    ['no tiers', { allowed_tiers: [] }, 'allowed_tiers'],
    ['a score above 100', { min_score: 101 }, 'min_score'],
    ['a path in slugs', { slugs: ['../admin'] }, 'slugs'],
    ['an over-long slug', { slugs: ['a'.repeat(129)] }, 'slugs'],
    ['a zero cache_ttl', { cache_ttl: 0 }, 'cache_ttl'],
    ['a fractional cache_size', { cache_size: 2.5 }, 'cache_size'],
    ['a zero max_request_slugs', { max_request_slugs: 0 }, 'max_request_slugs'],
    ['a non-URL api_base', { api_base: 'hlido.eu' }, 'api_base'],
    ['an ftp api_base', { api_base: 'ftp://hlido.eu' }, 'api_base'],
    ['an api_base with a query', { api_base: 'https://hlido.eu/?x=1' }, 'api_base'],
    ['post_call mode (it would never run)', { mode: 'post_call' }, 'mode'],
  ]
  for (const [what, params, key] of bad) {
    test(`${what} is a start-up error naming ${key}`, () => {
      assert.throws(
        () => createHlido({ guardrail: 'hlido', mode: 'pre_call', ...params }, { name: 'trust', configDir: '.' }),
        (err: unknown) => err instanceof ParamError && err.key === key && err.message.includes(key.split('.')[0] as string),
      )
    })
  }

  test('strings from the environment are read as numbers and booleans', async () => {
    const g = await createHlido({ mode: 'pre_call', min_score: '70', cache_ttl: '10', trust_request_slugs: 'true', max_request_slugs: '2' }, { name: 't', configDir: '.' })
    await g.close?.()
  })

  test('plain http to a non-loopback host is a start-up warning', async () => {
    const warnings: string[] = []
    const g = await createHlido({ mode: 'pre_call', api_base: 'http://hlido.internal' }, { name: 't', configDir: '.', warn: (k, m) => warnings.push(`${k}: ${m}`) })
    await g.close?.()
    assert.match(warnings.join('\n'), /^api_base: .*plain http/)
  })
})

describe('hlido: checks against the fake API', () => {
  let fake: FakeHlido
  const made: Guardrail[] = []
  before(async () => {
    fake = await startFakeHlido()
  })
  after(async () => {
    await Promise.all(made.map((g) => g.close?.()))
    await fake.close()
  })
  beforeEach(() => {
    fake.requests.length = 0
    fake.agents = defaultAgents()
    fake.delayMs = 0
    fake.fault = undefined
    fake.faults = []
  })
  const hlido = async (params: Record<string, unknown> = {}): Promise<Guardrail> => {
    const g = await createHlido({ guardrail: 'hlido', mode: 'pre_call', api_base: fake.url, ...params }, { name: 'trust', configDir: '.' })
    made.push(g)
    return g
  }
  const run = (g: Guardrail, ctx: GuardContext = ctxOf()): Promise<Verdict> => (g.checkInput as NonNullable<Guardrail['checkInput']>)(TEXTS, ctx)
  const blockOf = (v: Verdict): Extract<Verdict, { action: 'block' }> => {
    assert.equal(v.action, 'block', JSON.stringify(v))
    return v as Extract<Verdict, { action: 'block' }>
  }

  test('a configured slug below the default minimum 60 is blocked; the reason names slug, score, tier, minimum and evidence', async () => {
    const v = blockOf(await run(await hlido({ slugs: ['klariqo'] })))
    assert.equal(v.code, 'untrusted_agent')
    for (const part of ['klariqo', '58', 'FADING', 'minimum score 60', 'https://hlido.eu/reviews/klariqo/']) assert.ok(v.reason.includes(part), `${part} in ${v.reason}`)
    assert.deepEqual(v.details, { code: 'untrusted_agent', agents: [{ slug: 'klariqo', score: 58, tier: 'FADING', evidence_url: 'https://hlido.eu/reviews/klariqo/' }] })
    assert.deepEqual(await run(await hlido({ slugs: 'try-sanebox' })), { action: 'allow' })
    assert.deepEqual(fake.requests.map((r) => [r.method, r.path]), [
      ['GET', '/v1/agents/klariqo'],
      ['GET', '/v1/agents/try-sanebox'],
    ])
  })

  test("the caller's key metadata names subjects (top level or metadata)", async () => {
    const g = await hlido()
    blockOf(await run(g, ctxOf({ caller: { metadata: { hlido_slugs: ['klariqo'] } } })))
    assert.deepEqual(await run(g, ctxOf({ caller: { hlido_slugs: 'try-sanebox' } })), { action: 'allow' })
    const v = blockOf(await run(g, ctxOf({ caller: { metadata: { hlido_slugs: ['../admin'] } } })))
    assert.equal(v.code, 'invalid_subject')
    assert.equal(fake.requests.length, 2)
  })

  test('request slugs are ignored unless trust_request_slugs: the configured slug decides', async () => {
    const g = await hlido({ slugs: ['klariqo'] })
    blockOf(await run(g, ctxOf({ metadata: { hlido_slugs: ['try-sanebox'] } })))
    const g2 = await hlido({ slugs: ['try-sanebox'] })
    assert.deepEqual(await run(g2, ctxOf({ metadata: { hlido_slugs: ['klariqo', '../admin'] } })), { action: 'allow' })
    assert.deepEqual(fake.requests.map((r) => r.path), ['/v1/agents/klariqo', '/v1/agents/try-sanebox'])
    // with no server-side subject, an untrusted request slug is no subject at all
    const v = blockOf(await run(await hlido(), ctxOf({ metadata: { hlido_slugs: ['try-sanebox'] } })))
    assert.equal(v.code, 'missing_subject')
    assert.match(v.reason, /trust_request_slugs is off/)
    assert.equal(fake.requests.length, 2)
  })

  test('trusted request slugs count, together with the configured ones', async () => {
    const g = await hlido({ trust_request_slugs: true, slugs: ['try-sanebox'] })
    blockOf(await run(g, ctxOf({ metadata: { hlido_slugs: ['klariqo'] } })))
    assert.deepEqual(await run(g, ctxOf({ metadata: { hlido_slugs: ['steady-one'] } })), { action: 'allow' })
    assert.deepEqual(await run(g), { action: 'allow' })
  })

  test('more than max_request_slugs is a block before any lookup; invalid request slugs too', async () => {
    const g = await hlido({ trust_request_slugs: true, max_request_slugs: 3 })
    const v = blockOf(await run(g, ctxOf({ metadata: { hlido_slugs: ['a', 'b', 'c', 'd'] } })))
    assert.equal(v.code, 'too_many_subjects')
    assert.match(v.reason, /4 agents.*at most 3/)
    for (const bad of [...PATH_TRICKS, 42, null, ['ok', { slug: 'x' }]]) {
      const w = blockOf(await run(g, ctxOf({ metadata: { hlido_slugs: Array.isArray(bad) ? bad : [bad] } })))
      assert.equal(w.code, 'invalid_subject', JSON.stringify(bad))
    }
    blockOf(await run(g, ctxOf({ metadata: { hlido_slugs: { slug: 'klariqo' } } })))
    assert.equal(fake.requests.length, 0, 'no lookup went out')
    // exactly the maximum is fine
    assert.deepEqual(await run(g, ctxOf({ metadata: { hlido_slugs: ['try-sanebox', 'steady-one', 'try-sanebox'] } })), { action: 'allow' })
    assert.equal(fake.requests.length, 2, 'duplicates are looked up once')
  })

  test('no trusted subject: on_missing_subject decides (block by default, allow is recorded as a flag)', async () => {
    const v = blockOf(await run(await hlido()))
    assert.equal(v.code, 'missing_subject')
    const f = await run(await hlido({ on_missing_subject: 'allow' }))
    assert.equal(f.action, 'flag')
    assert.match((f as { reason: string }).reason, /no trusted subject/)
    assert.equal(fake.requests.length, 0)
  })

  test('40 concurrent checks of a cold slug make exactly one lookup', async () => {
    fake.delayMs = 200
    const g = await hlido({ slugs: ['klariqo'] })
    const verdicts = await Promise.all(Array.from({ length: 40 }, () => run(g)))
    assert.ok(verdicts.every((v) => v.action === 'block'))
    assert.equal(fake.lookups('klariqo'), 1)
  })

  test('answers are cached until cache_ttl, then fetched again', async () => {
    const g = await hlido({ slugs: ['try-sanebox'], cache_ttl: 0.2 })
    await run(g)
    await run(g)
    assert.equal(fake.lookups('try-sanebox'), 1)
    await sleep(300)
    await run(g)
    assert.equal(fake.lookups('try-sanebox'), 2)
  })

  test('the cache is bounded: with cache_size 2 a third slug evicts the least recent', async () => {
    const g = await hlido({ trust_request_slugs: true, cache_size: 2 })
    for (const slug of ['try-sanebox', 'steady-one', 'no-tier']) await run(g, ctxOf({ metadata: { hlido_slugs: [slug] } }))
    await run(g, ctxOf({ metadata: { hlido_slugs: ['no-tier'] } }))
    await run(g, ctxOf({ metadata: { hlido_slugs: ['steady-one'] } }))
    assert.deepEqual([fake.lookups('try-sanebox'), fake.lookups('steady-one'), fake.lookups('no-tier')], [1, 1, 1])
    await run(g, ctxOf({ metadata: { hlido_slugs: ['try-sanebox'] } }))
    assert.equal(fake.lookups('try-sanebox'), 2, 'the evicted slug was fetched again')
  })

  test('a request with more slugs than the cache holds still gets every answer', async () => {
    fake.delayMs = 50
    const g = await hlido({ trust_request_slugs: true, cache_size: 1 })
    assert.deepEqual(await run(g, ctxOf({ metadata: { hlido_slugs: ['try-sanebox', 'steady-one', 'no-tier'] } })), { action: 'allow' })
    blockOf(await run(g, ctxOf({ metadata: { hlido_slugs: ['try-sanebox', 'klariqo', 'no-tier'] } })))
  })

  test('unverified (404) answers are cached; failures are not', async () => {
    const g = await hlido({ slugs: ['nobody'] })
    assert.equal((await run(g)).action, 'flag')
    assert.equal((await run(g)).action, 'flag')
    assert.equal(fake.lookups('nobody'), 1)
    const g2 = await hlido({ slugs: ['try-sanebox'] })
    fake.faults.push({ kind: 'status', status: 500 })
    await assert.rejects(run(g2), (e: unknown) => e instanceof ServiceError && e.kind === 'http_status' && /try-sanebox/.test(e.message))
    assert.deepEqual(await run(g2), { action: 'allow' })
    assert.equal(fake.lookups('try-sanebox'), 2)
  })

  test('allowed_tiers is case-insensitive; a missing tier is derived from the score', async () => {
    const g = await hlido({ allowed_tiers: ['vital', 'Steady'], trust_request_slugs: true })
    const check = (slug: string): Promise<Verdict> => run(g, ctxOf({ metadata: { hlido_slugs: [slug] } }))
    assert.equal((await check('try-sanebox')).action, 'allow')
    assert.equal((await check('steady-one')).action, 'allow')
    assert.equal((await check('no-tier')).action, 'allow', '75 without a tier is STEADY')
    const v = blockOf(await check('no-tier-low'))
    assert.match(v.reason, /"no-tier-low" scores 35 \(tier FLATLINE, from the score\), tier FLATLINE is not among the allowed tiers VITAL, STEADY/)
    const k = blockOf(await check('klariqo'))
    assert.match(k.reason, /klariqo.*58.*FADING.*allowed tiers VITAL, STEADY.*https:\/\/hlido\.eu\/reviews\/klariqo\//)
    assert.doesNotMatch(k.reason, /minimum/, 'only allowed_tiers set: no default minimum')
    // a tier the answer gives in lower case counts the same
    fake.agents.set('lower', { slug: 'lower', score: 95, tier: 'vital' })
    assert.equal((await check('lower')).action, 'allow')
  })

  test('min_score and allowed_tiers together: both must hold', async () => {
    const g = await hlido({ min_score: 80, allowed_tiers: ['VITAL', 'STEADY'], trust_request_slugs: true })
    const check = (slug: string): Promise<Verdict> => run(g, ctxOf({ metadata: { hlido_slugs: [slug] } }))
    assert.equal((await check('try-sanebox')).action, 'allow')
    assert.match(blockOf(await check('steady-one')).reason, /72 \(tier STEADY\), below the minimum score 80;/)
    assert.match(blockOf(await check('klariqo')).reason, /below the minimum score 80 and tier FADING is not among/)
  })

  test('several slugs: all looked up at once, every failing one named', async () => {
    fake.delayMs = 250
    const g = await hlido({ trust_request_slugs: true })
    const started = performance.now()
    const v = blockOf(await run(g, ctxOf({ metadata: { hlido_slugs: ['klariqo', 'try-sanebox', 'no-tier-low'] } })))
    assert.ok(performance.now() - started < 700, 'the lookups ran concurrently (one after the other takes 750 ms)')
    assert.match(v.reason, /failed for 2 agents: agent "klariqo" scores 58.*; agent "no-tier-low" scores 35/)
    assert.deepEqual((v.details as { agents: Array<{ slug: string }> }).agents.map((a) => a.slug), ['klariqo', 'no-tier-low'])
  })

  test('a definite "no" outranks a lookup that failed; a failure alone is thrown for on_error', async () => {
    const g = await hlido({ trust_request_slugs: true })
    blockOf(await run(g, ctxOf({ metadata: { hlido_slugs: ['klariqo'] } }))) // now cached
    fake.faults.push({ kind: 'status', status: 503 })
    const v = blockOf(await run(g, ctxOf({ metadata: { hlido_slugs: ['klariqo', 'steady-one'] } })))
    assert.match(v.reason, /klariqo/)
    assert.equal(fake.lookups('steady-one'), 1, 'steady-one was asked and failed')
    fake.faults.push({ kind: 'status', status: 503 })
    await assert.rejects(run(g, ctxOf({ metadata: { hlido_slugs: ['try-sanebox', 'steady-one'] } })), (e: unknown) => e instanceof ServiceError && e.kind === 'http_status')
    assert.deepEqual(await run(g, ctxOf({ metadata: { hlido_slugs: ['try-sanebox', 'steady-one'] } })), { action: 'allow' })
  })

  test('on_unverified: allow records a flag, block refuses', async () => {
    const f = await run(await hlido({ slugs: ['nobody'] }))
    assert.deepEqual(f, { action: 'flag', reason: 'allowed unverified agent(s) with no Hlido review: "nobody"' })
    const v = blockOf(await run(await hlido({ slugs: ['nobody'], on_unverified: 'block' })))
    assert.equal(v.code, 'unverified_agent')
    assert.match(v.reason, /"nobody" has no Hlido review/)
  })

  const malformed: Array<[string, Record<string, unknown>]> = [
    ['a score that is a string', { slug: 'odd', score: '58' }],
    ['a score above 100', { slug: 'odd', score: 101 }],
    ['no score', { slug: 'odd', tier: 'VITAL' }],
    ['another agent', { slug: 'try-sanebox', score: 90 }],
    ['an evidence_url that is not a URL', { slug: 'odd', score: 90, evidence_url: 'javascript:alert(1)' }],
  ]
  for (const [what, row] of malformed) {
    test(`an answer with ${what} is an invalid_shape failure (never trusted)`, async () => {
      fake.agents.set('odd', row)
      await assert.rejects(run(await hlido({ slugs: ['odd'] })), (e: unknown) => e instanceof ServiceError && e.kind === 'invalid_shape')
    })
  }

  test('service faults are ServiceErrors with their kind', async () => {
    const kinds: Array<[FakeHlido['fault'], string]> = [
      [{ kind: 'html', status: 502 }, 'http_status'],
      [{ kind: 'html' }, 'content_type'],
      [{ kind: 'truncated' }, 'invalid_json'],
      [{ kind: 'status', status: 500 }, 'http_status'],
      [{ kind: 'slow', ms: 500 }, 'timeout'],
    ]
    for (const [fault, kind] of kinds) {
      fake.fault = fault
      const g = await hlido({ slugs: ['try-sanebox'], timeout: 0.2 })
      await assert.rejects(run(g), (e: unknown) => e instanceof ServiceError && e.kind === kind, JSON.stringify(fault))
    }
  })

  test('the API key is sent as a bearer token', async () => {
    await run(await hlido({ slugs: ['try-sanebox'], api_key: 'hk-unit-secret' }))
    assert.equal(fake.requests[0]?.headers.authorization, 'Bearer hk-unit-secret')
    await run(await hlido({ slugs: ['steady-one'] }))
    assert.equal(fake.requests[1]?.headers.authorization, undefined)
  })

  test("an abandoned check stops waiting, and the shared lookup still serves the others", async () => {
    fake.delayMs = 1000
    const g = await hlido({ slugs: ['try-sanebox'] })
    const ac = new AbortController()
    const abandoned = run(g, ctxOf({ signal: ac.signal }))
    const other = run(g)
    setTimeout(() => ac.abort(), 50)
    const started = performance.now()
    await assert.rejects(abandoned, (e: unknown) => e instanceof ServiceError && e.kind === 'timeout')
    assert.ok(performance.now() - started < 800, 'did not wait for the lookup')
    assert.deepEqual(await other, { action: 'allow' })
    assert.equal(fake.lookups('try-sanebox'), 1)
  })
})

describe('hlido: api_base with a path prefix', () => {
  test('the prefix comes before /v1/agents/<slug>', async (t) => {
    const fake = await startFakeHlido({ prefix: '/trust/api' })
    const g = await createHlido({ mode: 'pre_call', api_base: `${fake.url}/`, slugs: ['try-sanebox'] }, { name: 't', configDir: '.' })
    t.after(async () => {
      await g.close?.()
      await fake.close()
    })
    assert.deepEqual(await g.checkInput?.(TEXTS, ctxOf()), { action: 'allow' })
    assert.deepEqual(fake.requests.map((r) => r.path), ['/trust/api/v1/agents/try-sanebox'])
  })
})
