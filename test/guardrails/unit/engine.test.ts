// The engine: guardrails run in config order on each other's rewrites, a block
// stops the chain, and a guardrail that throws, hangs or answers nonsense never
// passes silently — on_error block fails closed (503), on_error allow goes on
// and the decision says `unevaluated`.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { check, runChain } from '../../../src/guardrails/engine.ts'
import { GuardrailUnavailable } from '../../../src/guardrails/errors.ts'
import type { GuardContext, Guardrail, GuardText, Verdict } from '../../../src/guardrails/types.ts'
import { blocker, callInfo, recorder, rewriter, spec, texts, within } from './helpers.ts'

/** A guardrail whose input check is `fn`. */
const input = (name: string, fn: (ts: GuardText[], ctx: GuardContext) => Promise<Verdict>): Guardrail => ({ name, checkInput: fn })

describe('runChain', () => {
  test('runs in order, each guardrail sees the previous rewrite, and the result carries the last one', async () => {
    const seen: string[][] = []
    const specs = ['g1', 'g2', 'g3'].map((n, i) => spec(rewriter(n, (s) => s + (i + 1), seen), { modes: new Set(['pre_call']) }))
    const { decisions, sink } = recorder()
    const r = await runChain(specs, 'input', 'pre_call', texts('a', 'b'), callInfo(), sink)
    assert.deepEqual(seen, [
      ['a', 'b'],
      ['a1', 'b1'],
      ['a12', 'b12'],
    ])
    assert.deepEqual(
      r.texts.map((t) => t.text),
      ['a123', 'b123'],
    )
    assert.equal(r.rewritten, true)
    assert.equal(r.block, undefined)
    assert.deepEqual(
      decisions.map((d) => [d.guardrail, d.action]),
      [
        ['g1', 'rewrite'],
        ['g2', 'rewrite'],
        ['g3', 'rewrite'],
      ],
    )
  })

  test('a rewrite keeps the sources and indices of the texts', async () => {
    const list: GuardText[] = [
      { index: 0, text: 'x', source: 'system' },
      { index: 1, text: '{}', source: 'tool_call_arguments', toolName: 'f' },
    ]
    const r = await runChain([spec(rewriter('up', (s) => s.toUpperCase()))], 'input', 'pre_call', list, callInfo(), () => {})
    assert.deepEqual(r.texts, [
      { index: 0, text: 'X', source: 'system' },
      { index: 1, text: '{}', source: 'tool_call_arguments', toolName: 'f' },
    ])
  })

  test('nothing rewritten: rewritten is false and the texts are the same', async () => {
    const list = texts('fine')
    const r = await runChain([spec(blocker('b', 'evil'))], 'input', 'pre_call', list, callInfo(), () => {})
    assert.equal(r.rewritten, false)
    assert.deepEqual(r.texts, list)
  })

  test('a block stops the chain: later guardrails do not run, the block names guardrail, mode, reason and details', async () => {
    let laterRan = false
    const specs = [
      spec(rewriter('mask', (s) => s.replace('x', '*'))),
      spec(input('stop', async () => ({ action: 'block', reason: 'no way', code: 'nope', details: { score: 0.9 } }))),
      spec(input('later', async () => ((laterRan = true), { action: 'allow' }))),
    ]
    const { decisions, sink } = recorder()
    const r = await runChain(specs, 'input', 'pre_call', texts('x1'), callInfo(), sink)
    assert.equal(laterRan, false)
    assert.equal(r.block?.spec.name, 'stop')
    assert.equal(r.block?.mode, 'pre_call')
    assert.equal(r.block?.reason, 'no way')
    assert.deepEqual(r.block?.details, { score: 0.9 })
    assert.deepEqual(
      r.texts.map((t) => t.text),
      ['*1'],
    )
    assert.deepEqual(
      decisions.map((d) => [d.guardrail, d.action, d.reason]),
      [
        ['mask', 'rewrite', undefined],
        ['stop', 'block', 'no way'],
      ],
    )
  })

  test('input checks use checkInput, output checks use checkOutput; a guardrail without the check or a call without texts is not asked', async () => {
    const calls: string[] = []
    const g: Guardrail = {
      name: 'both',
      checkInput: async () => (calls.push('in'), { action: 'allow' }),
      checkOutput: async () => (calls.push('out'), { action: 'allow' }),
    }
    const { decisions, sink } = recorder()
    await check(spec(g), 'input', 'pre_call', texts('a'), callInfo(), sink)
    await check(spec(g), 'output', 'post_call', texts('a'), callInfo(), sink)
    await check(spec(g), 'output', 'post_call', [], callInfo(), sink)
    assert.deepEqual(calls, ['in', 'out'])
    const outOnly: Guardrail = { name: 'out-only', checkOutput: async () => ({ action: 'block', reason: 'x' }) }
    assert.deepEqual(await check(spec(outOnly), 'input', 'pre_call', texts('a'), callInfo(), sink), { action: 'allow' })
    assert.equal(decisions.length, 2)
  })
})

describe('decisions', () => {
  test('carry guardrail name, mode, action, reason, findings count and the time spent', async () => {
    const findings = [
      { type: 'email', index: 0 },
      { type: 'phone', index: 0 },
    ]
    const cases: Array<[Verdict, { action: string; reason?: string; findings: number }]> = [
      [{ action: 'allow' }, { action: 'allow', findings: 0 }],
      [{ action: 'flag', reason: 'suspicious', findings }, { action: 'flag', reason: 'suspicious', findings: 2 }],
      [{ action: 'block', reason: 'pii', findings: findings.slice(1) }, { action: 'block', reason: 'pii', findings: 1 }],
      [{ action: 'rewrite', texts: ['y'], findings, reason: 'masked' }, { action: 'rewrite', reason: 'masked', findings: 2 }],
      [{ action: 'rewrite', texts: ['y'] }, { action: 'rewrite', findings: 0 }],
    ]
    for (const [verdict, want] of cases) {
      const { decisions, sink } = recorder()
      await check(spec(input('g', async () => verdict)), 'input', 'pre_call', texts('x'), callInfo(), sink)
      assert.equal(decisions.length, 1)
      const { ms, ...rest } = decisions[0]!
      assert.deepEqual(rest, { guardrail: 'g', mode: 'pre_call', ...want })
      assert.ok(typeof ms === 'number' && ms >= 0)
    }
  })

  test('ms is the time the guardrail took', async () => {
    const { decisions, sink } = recorder()
    await check(spec(input('slow', async () => (await sleep(40), { action: 'allow' }))), 'input', 'pre_call', texts('x'), callInfo(), sink)
    assert.ok(decisions[0]!.ms >= 35, `ms ${decisions[0]!.ms}`)
  })

  test('during_call and logging_only cannot rewrite: the rewrite is recorded as a flag (findings kept) and not applied', async () => {
    for (const mode of ['during_call', 'logging_only'] as const) {
      const { decisions, sink } = recorder()
      const g = input('mask', async () => ({ action: 'rewrite', texts: ['MASKED'], findings: [{ type: 'email', index: 0 }] }))
      const r = await runChain([spec(g, { modes: new Set([mode]) })], 'input', mode, texts('a@b.c'), callInfo(), sink)
      assert.deepEqual(
        r.texts.map((t) => t.text),
        ['a@b.c'],
      )
      assert.equal(r.rewritten, false)
      assert.equal(decisions.length, 1)
      assert.equal(decisions[0]!.action, 'flag')
      assert.equal(decisions[0]!.mode, mode)
      assert.equal(decisions[0]!.findings, 1)
      assert.match(decisions[0]!.reason ?? '', /rewrite ignored/)
    }
  })
})

describe('failure policy', () => {
  const hang = (seen: { signal?: AbortSignal }): Guardrail =>
    input('hang', (_ts, ctx) => {
      seen.signal = ctx.signal
      return new Promise<Verdict>(() => {})
    })

  test('a guardrail that hangs is cut at its timeout, its signal is aborted, and on_error block fails closed with 503', async () => {
    const seen: { signal?: AbortSignal } = {}
    const { decisions, sink } = recorder()
    const started = performance.now()
    const err = await within(
      runChain([spec(hang(seen), { timeoutMs: 50 })], 'input', 'pre_call', texts('x'), callInfo(), sink).then(
        () => assert.fail('expected a failure'),
        (e: unknown) => e,
      ),
      2000,
      'the hanging guardrail',
    )
    const took = performance.now() - started
    assert.ok(took >= 45 && took < 1000, `took ${took} ms`)
    assert.ok(err instanceof GuardrailUnavailable)
    assert.equal(err.status, 503)
    assert.equal(err.code, 'guardrail_unavailable')
    assert.match(err.message, /"hang"/)
    assert.deepEqual((err.toBody().error as Record<string, any>).guardrail.name, 'hang')
    assert.equal(seen.signal?.aborted, true)
    assert.equal(decisions.length, 1)
    assert.equal(decisions[0]!.action, 'block')
    assert.equal(decisions[0]!.error, 'timeout')
  })

  test('a guardrail that hangs under on_error allow: the chain goes on and the decision says unevaluated', async () => {
    const seen: { signal?: AbortSignal } = {}
    const { decisions, sink } = recorder()
    const specs = [spec(hang(seen), { timeoutMs: 50, onError: 'allow' }), spec(rewriter('next', (s) => s + '!'))]
    const r = await within(runChain(specs, 'input', 'pre_call', texts('x'), callInfo(), sink), 2000, 'the chain')
    assert.deepEqual(
      r.texts.map((t) => t.text),
      ['x!'],
    )
    assert.equal(seen.signal?.aborted, true)
    assert.deepEqual(
      decisions.map((d) => [d.guardrail, d.action, d.error]),
      [
        ['hang', 'unevaluated', 'timeout'],
        ['next', 'rewrite', undefined],
      ],
    )
    assert.match(decisions[0]!.reason ?? '', /timed out/)
  })

  test('the signal is aborted when the call is abandoned mid-check', async () => {
    const call = new AbortController()
    let signal: AbortSignal | undefined
    const g = input('watch', (_ts, ctx) => {
      signal = ctx.signal
      return new Promise<Verdict>((resolve) => ctx.signal.addEventListener('abort', () => resolve({ action: 'allow' })))
    })
    const p = check(spec(g, { timeoutMs: 5000 }), 'input', 'pre_call', texts('x'), callInfo(call.signal), () => {})
    await sleep(10)
    assert.equal(signal?.aborted, false)
    call.abort()
    await within(p, 1000, 'the check after the abort')
    assert.equal(signal?.aborted, true)
  })

  test('a call abandoned before the check starts hands the guardrail an aborted signal', async () => {
    const call = new AbortController()
    call.abort()
    let aborted: boolean | undefined
    await check(spec(input('late', async (_ts, ctx) => ((aborted = ctx.signal.aborted), { action: 'allow' }))), 'input', 'pre_call', texts('x'), callInfo(call.signal), () => {})
    assert.equal(aborted, true)
  })

  // Everything a guardrail could do wrong, and the kind of error the decision records.
  const failures: Array<[string, (ts: GuardText[], ctx: GuardContext) => Promise<Verdict>, string]> = [
    ['throws an Error', async () => Promise.reject(new Error('boom')), 'error'],
    ['throws a string', async () => Promise.reject('boom'), 'error'],
    ['throws synchronously', (() => {
      throw new Error('sync boom')
    }) as unknown as () => Promise<Verdict>, 'error'],
    ['answers null', async () => null as unknown as Verdict, 'invalid_verdict'],
    ['answers undefined', async () => undefined as unknown as Verdict, 'invalid_verdict'],
    ['answers a string', async () => 'allow' as unknown as Verdict, 'invalid_verdict'],
    ['answers an unknown action', async () => ({ action: 'maybe' }) as unknown as Verdict, 'invalid_verdict'],
    ['answers no action', async () => ({ reason: 'x' }) as unknown as Verdict, 'invalid_verdict'],
    ['rewrites too few texts', async () => ({ action: 'rewrite', texts: ['a'] }), 'invalid_verdict'],
    ['rewrites too many texts', async () => ({ action: 'rewrite', texts: ['a', 'b', 'c'] }), 'invalid_verdict'],
    ['rewrites with non-strings', async () => ({ action: 'rewrite', texts: [1, 2] }) as unknown as Verdict, 'invalid_verdict'],
    ['rewrites without texts', async () => ({ action: 'rewrite' }) as unknown as Verdict, 'invalid_verdict'],
  ]

  for (const [what, fn, kind] of failures) {
    test(`a guardrail that ${what}: on_error block fails closed with GuardrailUnavailable (503)`, async () => {
      const { decisions, sink } = recorder()
      let laterRan = false
      const specs = [spec(input('bad', fn)), spec(input('later', async () => ((laterRan = true), { action: 'allow' })))]
      await assert.rejects(runChain(specs, 'input', 'pre_call', texts('one', 'two'), callInfo(), sink), (err: unknown) => {
        assert.ok(err instanceof GuardrailUnavailable, `got ${String(err)}`)
        assert.equal(err.status, 503)
        assert.equal(err.code, 'guardrail_unavailable')
        assert.match(err.message, /"bad" \(pre_call\)/)
        return true
      })
      assert.equal(laterRan, false)
      assert.deepEqual(
        decisions.map((d) => [d.guardrail, d.action, d.error]),
        [['bad', 'block', kind]],
      )
    })

    test(`a guardrail that ${what}: on_error allow passes the texts unchanged and records unevaluated`, async () => {
      const { decisions, sink } = recorder()
      const specs = [spec(input('bad', fn), { onError: 'allow' }), spec(input('later', async () => ({ action: 'allow' })))]
      const r = await runChain(specs, 'input', 'pre_call', texts('one', 'two'), callInfo(), sink)
      assert.deepEqual(
        r.texts.map((t) => t.text),
        ['one', 'two'],
      )
      assert.equal(r.rewritten, false)
      assert.equal(r.block, undefined)
      assert.deepEqual(
        decisions.map((d) => [d.guardrail, d.action, d.error]),
        [
          ['bad', 'unevaluated', kind],
          ['later', 'allow', undefined],
        ],
      )
      assert.ok(decisions[0]!.reason, 'the unevaluated decision says why')
    })
  }

  test('a block verdict with odd fields is still a block (reason defaulted, junk details dropped)', async () => {
    const { decisions, sink } = recorder()
    const g = input('odd', async () => ({ action: 'block', reason: '', details: 'junk' }) as unknown as Verdict)
    const r = await runChain([spec(g)], 'input', 'pre_call', texts('x'), callInfo(), sink)
    assert.equal(r.block?.reason, 'blocked')
    assert.equal(r.block?.details, undefined)
    assert.equal(decisions[0]!.action, 'block')
  })
})
