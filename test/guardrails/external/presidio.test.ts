// `presidio` against a fake Presidio analyzer + anonymizer: through the real
// gateway with the OpenAI SDK (the model sees placeholders, answers are masked
// in JSON and streams without leaking a piece, block and per-entity actions,
// no anonymizer call when nothing was found, fail closed / open for every way
// the services fail, api bases checked at start), plus unit tests of
// operators, offsets, 1:1 rewrites and params on the factory itself.
import { describe, test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '../../../src/config/load.ts'
import { ParamError } from '../../../src/guardrails/factory.ts'
import { createPresidio } from '../../../src/guardrails/external/presidio.ts'
import { ServiceError } from '../../../src/guardrails/external/service.ts'
import type { GuardContext, Guardrail, GuardText, Verdict } from '../../../src/guardrails/types.ts'
import { apiFailure, collect, messageOf, startGateway, useServer } from '../../helpers/gateway.ts'
import { startFakePresidio, type FakePresidio } from '../../servers/fake-presidio.ts'
import { closedUrl, type Fault } from '../../servers/service-faults.ts'
import { callInfo } from '../unit/helpers.ts'
import { ask, assertNoLeak, config, failsClosedThenOpen, type GuardrailDef, metric, type Mode, post, requestLog, setup, sseData } from '../support.ts'

const usePresidio = (t: TestContext): Promise<FakePresidio> => useServer(t, startFakePresidio)

/** A guardrail def `name` on the fake Presidio (both services on it; default_on, pre_call unless `mode` is given). */
const guard = (name: string, base: string, extra: Partial<Record<string, unknown>> & { mode?: Mode | Mode[] } = {}): GuardrailDef => ({
  name,
  type: 'presidio',
  mode: 'pre_call' as Mode,
  default_on: true,
  analyzer_api_base: base,
  anonymizer_api_base: base,
  ...extra,
})

const upstreamText = (body: Record<string, unknown> | undefined): string => {
  const messages = (body?.messages ?? []) as Array<{ content?: unknown }>
  return String(messages.at(-1)?.content)
}

describe('presidio through the gateway', () => {
  test('PII in the request is masked before the model sees it; only the analyzer runs when nothing is found', async (t) => {
    const pres = await usePresidio(t)
    const { fake, gw } = await setup(t, (up) => config({ upstream: up, guardrails: [guard('pii', pres.url)] }))
    const { data, response } = await ask(gw, 'write to bob.smith@example.com, SSN 123-45-6789')
    assert.equal(upstreamText(fake.requests[0]?.body), 'write to <EMAIL_ADDRESS>, SSN <US_SSN>')
    assert.equal(data.choices[0]?.message.content, 'fake: write to <EMAIL_ADDRESS>, SSN <US_SSN>')

    assert.deepEqual(pres.calls('/analyze').map((r) => r.body), [{ text: 'write to bob.smith@example.com, SSN 123-45-6789', language: 'en' }])
    const anon = pres.calls('/anonymize')
    assert.equal(anon.length, 1)
    assert.equal(anon[0]?.body.text, 'write to bob.smith@example.com, SSN 123-45-6789')
    assert.deepEqual(anon[0]?.body.analyzer_results, [
      { entity_type: 'EMAIL_ADDRESS', start: 9, end: 30, score: 1 },
      { entity_type: 'US_SSN', start: 36, end: 47, score: 0.85 },
    ])
    assert.deepEqual(anon[0]?.body.anonymizers, {
      EMAIL_ADDRESS: { type: 'replace', new_value: '<EMAIL_ADDRESS>' },
      US_SSN: { type: 'replace', new_value: '<US_SSN>' },
    })

    const log = await requestLog(gw, response.headers.get('x-request-id'))
    assert.deepEqual(log.guardrails?.map((d) => [d.name, d.action, d.reason, d.findings]), [['pii', 'rewrite', 'masked EMAIL_ADDRESS, US_SSN', 2]])
    assert.doesNotMatch(gw.logs.join('\n'), /bob\.smith|123-45-6789/, 'no log line holds the values')

    // nothing found: the anonymizer is not called
    const clean = await ask(gw, 'just a question')
    assert.equal(clean.data.choices[0]?.message.content, 'fake: just a question')
    assert.equal(pres.calls('/analyze').length, 2)
    assert.equal(pres.calls('/anonymize').length, 1)
  })

  test('every text of a call is analyzed on its own and written back 1:1', async (t) => {
    const pres = await usePresidio(t)
    const { fake, gw } = await setup(t, (up) => config({ upstream: up, guardrails: [guard('pii', pres.url)] }))
    await gw.client().chat.completions.create({
      model: 'gpt',
      messages: [
        { role: 'system', content: 'Support agent for a@b.io' },
        { role: 'user', content: 'no PII here' },
        { role: 'user', content: 'mine is 987-65-4321' },
      ],
    })
    const sent = (fake.requests[0]?.body.messages as Array<{ content: string }>).map((m) => m.content)
    assert.deepEqual(sent, ['Support agent for <EMAIL_ADDRESS>', 'no PII here', 'mine is <US_SSN>'])
    assert.equal(pres.calls('/analyze').length, 3)
    assert.equal(pres.calls('/anonymize').length, 2)
  })

  test('PII in a JSON answer is masked (post_call)', async (t) => {
    const pres = await usePresidio(t)
    const { fake, gw } = await setup(t, (up) => config({ upstream: up, guardrails: [guard('pii', pres.url, { mode: 'post_call' })] }))
    fake.queue({ kind: 'reply', content: 'Ask alice@corp.example.org or call about 555-12-3456.' })
    const { data } = await ask(gw, 'who?')
    assert.equal(data.choices[0]?.message.content, 'Ask <EMAIL_ADDRESS> or call about <US_SSN>.')
  })

  test('PII in a streamed answer is masked and no piece of it leaks in any chunk or raw event', async (t) => {
    const pres = await usePresidio(t)
    const { fake, gw } = await setup(t, (up) => config({ upstream: up, guardrails: [guard('pii', pres.url, { mode: 'post_call' })] }))
    // no q and no digits in the filler: a piece ending in "q" or a digit can only be a leak
    const FILLER = 'The little animal ran around the island. '
    const filler = (n: number): string[] => Array.from({ length: n }, (_, i) => FILLER.slice(0, 15 + ((i * 7) % 26)))
    const chunks = [...filler(16), 'mail qu', 'ill@quo', 'kka.io now. ', ...filler(16), 'ssn 12', '3-45-67', '89 ok. ', ...filler(6), 'bye qui', 'll@quokka', '.io']
    const expected = chunks.join('').replace(/quill@quokka\.io/g, '<EMAIL_ADDRESS>').replace('123-45-6789', '<US_SSN>')
    assert.ok(chunks.join('').length > 3 * 256, 'long enough that text is released while the stream runs')

    fake.queue({ kind: 'stream', chunks })
    const got = await collect(await gw.client().chat.completions.create({ model: 'gpt', stream: true, messages: [{ role: 'user', content: 'tell me' }] }))
    const pieces = got.map((c) => c.choices[0]?.delta.content ?? '').filter((p) => p !== '')
    assert.equal(pieces.join(''), expected)
    assert.ok(pieces.length >= 3, `released in several pieces, got ${pieces.length}`)
    assertNoLeak(pieces, 'quill@quokka.io', 'SDK chunk')
    assertNoLeak(pieces, '123-45-6789', 'SDK chunk')

    fake.queue({ kind: 'stream', chunks })
    const raw = await post(gw, '/v1/chat/completions', { model: 'gpt', stream: true, messages: [{ role: 'user', content: 'tell me' }] })
    assert.equal(raw.status, 200)
    assert.doesNotMatch(raw.text, /quill|quokka|\d{3}-\d{2}-\d{4}/)
    const events = sseData(raw.text)
    assert.equal(events.at(-1), '[DONE]')
    const rawPieces = events
      .slice(0, -1)
      .map((e) => (JSON.parse(e) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '')
      .filter((p) => p !== '')
    assert.equal(rawPieces.join(''), expected)
    assertNoLeak(rawPieces, 'quill@quokka.io', 'raw SSE event')
  })

  test('action block refuses a call with PII, naming the entity types and never the values; neither model nor anonymizer called', async (t) => {
    const pres = await usePresidio(t)
    const { fake, gw } = await setup(t, (up) => config({ upstream: up, guardrails: [guard('pii', pres.url, { action: 'block' })] }))
    const err = await apiFailure(ask(gw, 'mail bob@example.com and carol@example.com'))
    assert.equal(err.status, 400)
    assert.equal(err.code, 'guardrail_blocked')
    assert.match(messageOf(err), /"pii" \(pre_call\): PII found: EMAIL_ADDRESS ×2/)
    assert.doesNotMatch(JSON.stringify(err.error), /example\.com/)
    assert.deepEqual((err.error as { guardrail: { details?: unknown } }).guardrail.details, { entities: ['EMAIL_ADDRESS'] })
    assert.equal(fake.requests.length, 0)
    assert.equal(pres.calls('/anonymize').length, 0)
    assert.equal((await ask(gw, 'nothing personal')).response.status, 200)
  })

  test('pii_entities_config: per-entity BLOCK / MASK; the analyzer looks for those entities only', async (t) => {
    const pres = await usePresidio(t)
    const { fake, gw } = await setup(t, (up) =>
      config({ upstream: up, guardrails: [guard('pii', pres.url, { pii_entities_config: { CREDIT_CARD: 'BLOCK', EMAIL_ADDRESS: 'MASK' } })] }),
    )
    const { data } = await ask(gw, 'mail bob@example.com, ssn 123-45-6789')
    assert.equal(data.choices[0]?.message.content, 'fake: mail <EMAIL_ADDRESS>, ssn 123-45-6789', 'SSNs are not looked for')
    assert.deepEqual(pres.calls('/analyze')[0]?.body.entities, ['CREDIT_CARD', 'EMAIL_ADDRESS'])

    const err = await apiFailure(ask(gw, 'card 4111 1111 1111 1111, mail bob@example.com'))
    assert.equal(err.code, 'guardrail_blocked')
    assert.match(messageOf(err), /PII found: CREDIT_CARD$/)
    assert.doesNotMatch(messageOf(err), /4111/)
    assert.equal(fake.requests.length, 1)
  })

  test('an anonymizer operator from the config (mask) is what Presidio applies', async (t) => {
    const pres = await usePresidio(t)
    const { fake, gw } = await setup(t, (up) =>
      config({ upstream: up, guardrails: [guard('pii', pres.url, { anonymizers: { US_SSN: { type: 'mask', masking_char: '#', chars_to_mask: 7, from_end: false }, DEFAULT: { type: 'redact' } } })] }),
    )
    await ask(gw, 'ssn 123-45-6789 mail bob@example.com!')
    assert.equal(upstreamText(fake.requests[0]?.body), 'ssn #######6789 mail !')
  })

  const faults: Array<[string, Fault | 'down', string]> = [
    ['down', 'down', 'connect'],
    ['slow past the timeout', { kind: 'slow', ms: 3000 }, 'timeout'],
    ['answering HTML', { kind: 'html' }, 'content_type'],
    ['answering 500', { kind: 'status', status: 500 }, 'http_status'],
    ['answering truncated JSON', { kind: 'truncated' }, 'invalid_json'],
    ['answering an object instead of a list', { kind: 'status', status: 200, body: '{"results":[]}' }, 'invalid_shape'],
  ]
  for (const [what, fault, kind] of faults) {
    test(`an analyzer ${what} fails closed (503) by default and open with on_error: allow (unevaluated); kind ${kind}`, async (t) => {
      const pres = await usePresidio(t)
      const base = fault === 'down' ? await closedUrl() : pres.url
      if (fault !== 'down') {
        pres.fault = fault
        pres.faultOn = '/analyze'
      }
      const { gw } = await failsClosedThenOpen(
        t,
        { closed: guard('closed', base, { default_on: false, timeout: 0.3 }), open: guard('open', base, { default_on: false, timeout: 0.3, on_error: 'allow' }) },
        'mail bob@example.com',
        kind,
      )
      assert.doesNotMatch(gw.logs.join('\n'), /bob@example/, 'no log line holds the value')
    })
  }

  test('an anonymizer that fails makes the guardrail fail closed too (the unmasked text never goes on)', async (t) => {
    const pres = await usePresidio(t)
    pres.fault = { kind: 'status', status: 500 }
    pres.faultOn = '/anonymize'
    const { fake, gw } = await setup(t, (up) => config({ upstream: up, guardrails: [guard('pii', pres.url)] }))
    const err = await apiFailure(ask(gw, 'mail bob@example.com'))
    assert.equal(err.status, 503)
    assert.equal(fake.requests.length, 0)
    assert.equal(await metric(gw, 'guardrail_errors_total', { guardrail: 'pii', mode: 'pre_call', kind: 'http_status' }), 1)
    // nothing found: no anonymizer call, so its failure does not matter
    assert.equal((await ask(gw, 'hello')).response.status, 200)
  })

  for (const key of ['analyzer_api_base', 'anonymizer_api_base']) {
    test(`an ftp:// ${key} is a start-up error naming the key`, async () => {
      let thrown: unknown
      try {
        const gw = await startGateway(config({ guardrails: [guard('pii', 'http://127.0.0.1:5002', { [key]: 'ftp://127.0.0.1:5002' })] }))
        await gw.close()
      } catch (err) {
        thrown = err
      }
      assert.ok(thrown instanceof ConfigError, `a ConfigError, got ${String(thrown)}`)
      assert.equal(thrown.issues.length, 1)
      assert.match(`${thrown.issues[0]?.path} ${thrown.issues[0]?.message}`, new RegExp(`${key} must be http or https`))
    })
  }
})

// ---------------------------------------------------------------- unit

const ctxOf = (): GuardContext => {
  const signal = new AbortController().signal
  return { ...callInfo(signal), mode: 'pre_call', signal }
}
const textsOf = (...ts: string[]): GuardText[] => ts.map((text, index) => ({ index, text, source: 'user' }))

async function presidio(t: TestContext, pres: FakePresidio, params: Record<string, unknown> = {}): Promise<Guardrail> {
  const g = await createPresidio({ analyzer_api_base: pres.url, anonymizer_api_base: pres.url, ...params }, { name: 'pii', configDir: '.' })
  t.after(() => g.close?.())
  return g
}

const input = (g: Guardrail, ...ts: string[]): Promise<Verdict> => (g.checkInput as NonNullable<Guardrail['checkInput']>)(textsOf(...ts), ctxOf())
const output = (g: Guardrail, ...ts: string[]): Promise<Verdict> => (g.checkOutput as NonNullable<Guardrail['checkOutput']>)(textsOf(...ts), { ...ctxOf(), mode: 'post_call' })

describe('presidio unit', () => {
  test('a rewrite returns every text, 1:1, with findings in UTF-16 offsets (Presidio counts code points)', async (t) => {
    const pres = await usePresidio(t)
    const g = await presidio(t, pres)
    const emoji = '😀😀 write bob@x.io'
    const v = await input(g, 'nothing', emoji, '', 'ssn 123-45-6789')
    assert.equal(v.action, 'rewrite')
    if (v.action !== 'rewrite') return
    assert.deepEqual(v.texts, ['nothing', '😀😀 write <EMAIL_ADDRESS>', '', 'ssn <US_SSN>'])
    assert.deepEqual(v.findings, [
      { type: 'EMAIL_ADDRESS', index: 1, start: emoji.indexOf('bob'), end: emoji.length, score: 1 },
      { type: 'US_SSN', index: 3, start: 4, end: 15, score: 0.85 },
    ])
    assert.equal(v.reason, 'masked EMAIL_ADDRESS, US_SSN')
    assert.equal(pres.calls('/analyze').length, 3, 'the empty text is not sent')
    assert.equal(pres.calls('/analyze')[1]?.body.text, emoji)
  })

  test('checkOutput masks too; nothing found is allow', async (t) => {
    const pres = await usePresidio(t)
    const g = await presidio(t, pres)
    assert.deepEqual(await output(g, 'a@b.io'), { action: 'rewrite', texts: ['<EMAIL_ADDRESS>'], findings: [{ type: 'EMAIL_ADDRESS', index: 0, start: 0, end: 6, score: 1 }], reason: 'masked EMAIL_ADDRESS' })
    assert.deepEqual(await output(g, 'plain'), { action: 'allow' })
  })

  test('operators: anonymizer as the default, anonymizers per entity, hash and mask', async (t) => {
    const pres = await usePresidio(t)
    const g = await presidio(t, pres, { anonymizer: { type: 'replace', new_value: '[PII]' }, anonymizers: { EMAIL_ADDRESS: { type: 'mask', from_end: true, chars_to_mask: 3 } } })
    const v = await input(g, 'bob@x.io / 123-45-6789')
    assert.deepEqual(v.action === 'rewrite' && v.texts, ['bob@x*** / [PII]'])
    assert.deepEqual(pres.calls('/anonymize')[0]?.body.anonymizers, {
      EMAIL_ADDRESS: { type: 'mask', masking_char: '*', chars_to_mask: 3, from_end: true },
      US_SSN: { type: 'replace', new_value: '[PII]' },
    })
    const h = await presidio(t, pres, { anonymizer: { type: 'hash' } })
    const hv = await input(h, 'id 123-45-6789')
    assert.match(hv.action === 'rewrite' ? (hv.texts[0] ?? '') : '', /^id [0-9a-f]{64}$/)
  })

  test('score_threshold and language are sent, and the threshold applies to what comes back too', async (t) => {
    const pres = await usePresidio(t)
    const g = await presidio(t, pres, { score_threshold: 0.9 })
    const v = await input(g, 'a@b.io 123-45-6789')
    assert.deepEqual(v.action === 'rewrite' && v.texts, ['<EMAIL_ADDRESS> 123-45-6789'])
    assert.deepEqual(pres.calls('/analyze')[0]?.body, { text: 'a@b.io 123-45-6789', language: 'en', score_threshold: 0.9 })
    // an analyzer that ignored the threshold: what comes back under it is dropped
    pres.fault = { kind: 'status', status: 200, body: JSON.stringify([{ entity_type: 'US_SSN', start: 0, end: 3, score: 0.5 }]) }
    assert.deepEqual(await input(g, 'abc'), { action: 'allow' })
  })

  test('an analyzer answer with offsets outside the text is an invalid_shape service error', async (t) => {
    const pres = await usePresidio(t)
    const g = await presidio(t, pres)
    pres.fault = { kind: 'status', status: 200, body: JSON.stringify([{ entity_type: 'EMAIL_ADDRESS', start: 2, end: 40, score: 1 }]) }
    await assert.rejects(input(g, 'short'), (err: unknown) => err instanceof ServiceError && err.kind === 'invalid_shape')
  })

  test("LiteLLM's param names are accepted; a block-only guardrail needs no anonymizer", async (t) => {
    const pres = await usePresidio(t)
    const g = await createPresidio({ presidio_analyzer_api_base: pres.url, presidio_anonymizer_api_base: pres.url, presidio_language: 'en' }, { name: 'p', configDir: '.' })
    t.after(() => g.close?.())
    assert.equal((await input(g, 'a@b.io')).action, 'rewrite')
    const b = await createPresidio({ analyzer_api_base: pres.url, action: 'block' }, { name: 'b', configDir: '.' })
    t.after(() => b.close?.())
    const v = await input(b, 'a@b.io')
    assert.equal(v.action, 'block')
    assert.equal(v.action === 'block' && v.reason, 'PII found: EMAIL_ADDRESS')
  })

  test('params are checked, errors naming the key', () => {
    const base = 'http://127.0.0.1:5002'
    const bad: Array<[Record<string, unknown>, string]> = [
      [{}, 'analyzer_api_base'],
      [{ analyzer_api_base: base }, 'anonymizer_api_base'],
      [{ analyzer_api_base: base, pii_entities_config: { EMAIL_ADDRESS: 'MASK' }, action: 'block' }, 'anonymizer_api_base'],
      [{ presidio_analyzer_api_base: 'ftp://x' }, 'presidio_analyzer_api_base'],
      [{ analyzer_api_base: base, presidio_analyzer_api_base: base, anonymizer_api_base: base }, 'presidio_analyzer_api_base'],
      [{ analyzer_api_base: base, anonymizer_api_base: base, action: 'redact' }, 'action'],
      [{ analyzer_api_base: base, anonymizer_api_base: base, pii_entities_config: { EMAIL_ADDRESS: 'HIDE' } }, 'pii_entities_config.EMAIL_ADDRESS'],
      [{ analyzer_api_base: base, anonymizer_api_base: base, score_threshold: 2 }, 'score_threshold'],
      [{ analyzer_api_base: base, anonymizer_api_base: base, entities: [] }, 'entities'],
      [{ analyzer_api_base: base, anonymizer_api_base: base, anonymizer: { type: 'encrypt' } }, 'anonymizer.type'],
      [{ analyzer_api_base: base, anonymizer_api_base: base, anonymizers: { US_SSN: { type: 'mask', masking_char: '##' } } }, 'anonymizers.US_SSN.masking_char'],
      [{ analyzer_api_base: base, anonymizer_api_base: base, anonymizer: { type: 'redact' }, anonymizers: { DEFAULT: { type: 'redact' } } }, 'anonymizer'],
    ]
    for (const [params, key] of bad) {
      assert.throws(
        () => createPresidio(params, { name: 'pii', configDir: '.' }),
        (err: unknown) => err instanceof ParamError && err.key === key,
        `${JSON.stringify(params)} → ParamError at ${key}`,
      )
    }
    // block everywhere: no anonymizer needed
    const ok = createPresidio({ analyzer_api_base: base, pii_entities_config: { CREDIT_CARD: 'block' }, action: 'block' }, { name: 'pii', configDir: '.' }) as Guardrail
    void ok.close?.()
  })
})
