// Which guardrails run on a call: default_on ∪ key-bound ∪ requested, in
// config order. A client can add guardrails, never remove a mandatory one.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { GatewayError } from '../../../src/errors.ts'
import { GuardrailPolicy } from '../../../src/guardrails/policy.ts'
import { spec } from './helpers.ts'

// config order: opt-a, pii (default_on), opt-b, injection (default_on), opt-c
const policy = new GuardrailPolicy([
  spec({ name: 'opt-a' }),
  spec({ name: 'pii' }, { defaultOn: true }),
  spec({ name: 'opt-b' }),
  spec({ name: 'injection' }, { defaultOn: true }),
  spec({ name: 'opt-c' }),
])

const names = (body: Record<string, unknown>, bound: string[] = []): string[] => policy.resolve({ model: 'gpt', ...body }, bound).map((s) => s.name)

function fails(body: Record<string, unknown>, status: number, pattern: RegExp, bound: string[] = []): void {
  assert.throws(
    () => policy.resolve({ model: 'gpt', ...body }, bound),
    (err: unknown) => {
      assert.ok(err instanceof GatewayError, `got ${String(err)}`)
      assert.equal(err.status, status)
      assert.match(err.message, pattern)
      return true
    },
  )
}

describe('GuardrailPolicy.resolve', () => {
  test('default_on guardrails always run, in config order', () => {
    assert.deepEqual(names({}), ['pii', 'injection'])
  })

  test('requested guardrails are added, via guardrails, metadata.guardrails, or the mapping form; the result is in config order', () => {
    assert.deepEqual(names({ guardrails: ['opt-c', 'opt-a'] }), ['opt-a', 'pii', 'injection', 'opt-c'])
    assert.deepEqual(names({ metadata: { guardrails: ['opt-b'] } }), ['pii', 'opt-b', 'injection'])
    assert.deepEqual(names({ guardrails: { 'opt-c': { extra_body: { x: 1 } }, 'opt-a': true } }), ['opt-a', 'pii', 'injection', 'opt-c'])
    assert.deepEqual(names({ guardrails: ['opt-a'], metadata: { guardrails: ['opt-c'] } }), ['opt-a', 'pii', 'injection', 'opt-c'])
    // naming a mandatory one again changes nothing
    assert.deepEqual(names({ guardrails: ['pii', 'pii'] }), ['pii', 'injection'])
  })

  test('the mapping form can leave an optional guardrail off (false / null)', () => {
    assert.deepEqual(names({ guardrails: { 'opt-a': false, 'opt-b': null, 'opt-c': {} } }), ['pii', 'injection', 'opt-c'])
  })

  test('an empty list or mapping adds nothing and leaves the mandatory ones running', () => {
    assert.deepEqual(names({ guardrails: [] }), ['pii', 'injection'])
    assert.deepEqual(names({ guardrails: {} }), ['pii', 'injection'])
    assert.deepEqual(names({ metadata: { guardrails: [] } }), ['pii', 'injection'])
    assert.deepEqual(names({ guardrails: null }), ['pii', 'injection'])
  })

  test('switching a mandatory guardrail off is refused with 403', () => {
    fails({ disable_global_guardrails: true }, 403, /mandatory/)
    fails({ metadata: { disable_global_guardrails: true } }, 403, /mandatory/)
    fails({ opted_out_global_guardrails: ['injection'] }, 403, /"injection" is mandatory/)
    fails({ metadata: { opted_out_global_guardrails: ['pii'] } }, 403, /"pii" is mandatory/)
    fails({ guardrails: { pii: false } }, 403, /"pii" is mandatory/)
    fails({ metadata: { guardrails: { injection: false } } }, 403, /"injection" is mandatory/)
    assert.equal(
      (() => {
        try {
          policy.resolve({ model: 'gpt', disable_global_guardrails: true })
        } catch (err) {
          return (err as GatewayError).code
        }
        return undefined
      })(),
      'guardrail_mandatory',
    )
  })

  test('opting out of an optional guardrail is allowed (it was not going to run anyway)', () => {
    assert.deepEqual(names({ opted_out_global_guardrails: ['opt-a'] }), ['pii', 'injection'])
    assert.deepEqual(names({ disable_global_guardrails: false }), ['pii', 'injection'])
  })

  test('with no mandatory guardrail, disable_global_guardrails is harmless', () => {
    const open = new GuardrailPolicy([spec({ name: 'opt' })])
    assert.deepEqual(
      open.resolve({ model: 'm', disable_global_guardrails: true }).map((s) => s.name),
      [],
    )
    assert.deepEqual(
      open.resolve({ model: 'm', guardrails: ['opt'], disable_global_guardrails: true }).map((s) => s.name),
      ['opt'],
    )
  })

  test('unknown guardrail names are a 400 naming the field', () => {
    fails({ guardrails: ['nope'] }, 400, /unknown guardrail "nope" in guardrails/)
    fails({ metadata: { guardrails: ['nope'] } }, 400, /unknown guardrail "nope" in metadata\.guardrails/)
    fails({ guardrails: { nope: {} } }, 400, /unknown guardrail "nope"/)
    fails({ opted_out_global_guardrails: ['nope'] }, 400, /unknown guardrail "nope" in opted_out_global_guardrails/)
    fails({ guardrails: [42] }, 400, /guardrail names/)
    fails({ guardrails: 'opt-a' }, 400, /list of guardrail names/)
    fails({ opted_out_global_guardrails: 'pii' }, 400, /list of guardrail names/)
    // also when no guardrail is configured at all
    assert.throws(() => new GuardrailPolicy([]).resolve({ model: 'm', guardrails: ['x'] }), (err: unknown) => err instanceof GatewayError && err.status === 400)
    assert.deepEqual(new GuardrailPolicy([]).resolve({ model: 'm' }), [])
  })

  test('key-bound guardrails run and cannot be removed by the request', () => {
    assert.deepEqual(names({}, ['opt-b']), ['pii', 'opt-b', 'injection'])
    assert.deepEqual(names({ guardrails: [] }, ['opt-b']), ['pii', 'opt-b', 'injection'])
    fails({ guardrails: { 'opt-b': false } }, 403, /"opt-b" is mandatory/, ['opt-b'])
    fails({ opted_out_global_guardrails: ['opt-b'] }, 403, /"opt-b" is mandatory/, ['opt-b'])
    fails({ metadata: { opted_out_global_guardrails: ['opt-b'] } }, 403, /"opt-b" is mandatory/, ['opt-b'])
    // without the binding the same opt-out is fine
    assert.deepEqual(names({ opted_out_global_guardrails: ['opt-b'] }), ['pii', 'injection'])
  })

  test('a key bound to a guardrail this gateway does not have fails closed (503), never runs without it', () => {
    fails({}, 503, /"gone" is bound to your key but is not configured/, ['gone'])
    const empty = new GuardrailPolicy([])
    assert.throws(() => empty.resolve({ model: 'm' }, ['gone']), (e: unknown) => (e as { status?: number }).status === 503)
  })

  test('with no default_on guardrail only the requested and bound ones run', () => {
    const p = new GuardrailPolicy([spec({ name: 'a' }), spec({ name: 'b' }), spec({ name: 'c' })])
    assert.deepEqual(
      p.resolve({ model: 'm' }).map((s) => s.name),
      [],
    )
    assert.deepEqual(
      p.resolve({ model: 'm', guardrails: ['c'] }, ['a']).map((s) => s.name),
      ['a', 'c'],
    )
  })
})
