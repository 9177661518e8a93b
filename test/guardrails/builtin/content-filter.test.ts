// content_filter: every entity kind (found, and its look-alike left alone),
// check digits, masking and its format, per-entity actions, block reasons that
// never carry the secret, LiteLLM `patterns` / `blocked_words(_file)`, users'
// regexes in re2js, param errors, and adversarial inputs.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { createContentFilter } from '../../../src/guardrails/builtin/content-filter.ts'
import { ibanChecksumOk, ibanValid, luhn } from '../../../src/guardrails/builtin/content-filter/checksums.ts'
import { CREDENTIAL_DETECTORS } from '../../../src/guardrails/builtin/content-filter/credentials.ts'
import { cardBrandOk, PII_DETECTORS, ssnValid } from '../../../src/guardrails/builtin/content-filter/pii.ts'
import { ParamError } from '../../../src/guardrails/factory.ts'
import type { Guardrail, GuardText, Verdict } from '../../../src/guardrails/types.ts'
import { guardContext } from '../unit/helpers.ts'
import { ADVERSARIAL_INPUTS } from '../../corpus/adversarial.ts'

const ctx = guardContext()

const dir = await mkdtemp(join(tmpdir(), 'content-filter-'))
after(() => rm(dir, { recursive: true, force: true }))

const make = async (params: Record<string, unknown> = {}, name = 'cf'): Promise<Guardrail> =>
  await createContentFilter({ guardrail: 'content_filter', mode: 'pre_call', ...params }, { name, configDir: dir })

const texts = (...t: string[]): GuardText[] => t.map((text, index) => ({ index, text, source: 'user' }))

async function run(g: Guardrail, ...t: string[]): Promise<Verdict> {
  return (await g.checkInput?.(texts(...t), ctx)) as Verdict
}

/** The rewritten text of a single-text check (fails on any other verdict). */
async function masked(g: Guardrail, text: string): Promise<string> {
  const v = await run(g, text)
  assert.equal(v.action, 'rewrite', `expected a rewrite of ${JSON.stringify(text)}, got ${JSON.stringify(v)}`)
  return (v as Extract<Verdict, { action: 'rewrite' }>).texts[0] as string
}

/** No 5-character piece of `secret` survives in `out`. */
function assertNoLeak(out: string, secret: string): void {
  for (let i = 0; i + 5 <= secret.length; i++) {
    const piece = secret.slice(i, i + 5)
    assert.ok(!out.includes(piece), `"${piece}" of the secret survived in ${JSON.stringify(out)}`)
  }
}

async function paramError(params: Record<string, unknown>): Promise<ParamError> {
  try {
    await make(params)
  } catch (err) {
    assert.ok(err instanceof ParamError, `expected a ParamError, got ${String(err)}`)
    return err
  }
  return assert.fail(`no ParamError for ${JSON.stringify(params)}`)
}

// format-valid, obviously fake values
const GHP = 'ghp_' + 'aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5z'.slice(0, 36)
const OPENAI = 'sk-proj-' + 'Q3v9Lm2Xr7Tb5Nc8Wd1Kz4Hy6Jp0Fs9Ag2Ue7Io3Pl5Mk8Nj1Bh4Gv6Cx0Dz2Sw7Ea9Rq3Ty5'
const ANTHROPIC = 'sk-ant-api03-' + 'Zr8Kq2Mv5Xn1Bw7Lc4Hj9Dt3Fy6Gp0Ns2Vb8Qm5Rk1Wx7Jz4Lh9Cd3Tf6Yg0Pn2Sv8Bq5Mw1Kx7Rj4Zl9Hc3Df6Gt0Yn2Ps8Vq5Mb1Wk7AA'
const SLACK = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'
const STRIPE = 'sk_live_' + '4eC39HqLyjWDarjtT1zdp7dcXy'
const GOOGLE = 'AIza' + 'SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY'
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'
const PEM_BODY = 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\nLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmwIDAQAB'
const PEM = `-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----`

describe('entities: found and masked, look-alikes left alone', async () => {
  const g = await make()
  // [entity, text with it, the sensitive part, a look-alike that must pass untouched]
  const table: Array<[string, string, string, string]> = [
    ['email', 'write to jane.doe@example.com today', 'jane.doe@example.com', 'npm i react@18.2.0 and use icon@2x.png'],
    ['phone_number', 'call +44 20 7946 0958 please', '+44 20 7946 0958', 'order #415-555-0132 shipped, ISBN 978-0-306-40615-7'],
    ['phone_number', 'my cell is (415) 555-0132', '(415) 555-0132', 'meeting on 2024-03-18 at 10:30, total $1,234,567.89'],
    ['phone_number', 'Tél. 01 23 45 67 89', '01 23 45 67 89', 'Windows build 10.0.19045.3570'],
    ['credit_card', 'card 4111 1111 1111 1111 exp 12/27', '4111 1111 1111 1111', 'card 4111 1111 1111 1112 fails Luhn'],
    ['credit_card', 'amex 378282246310005', '378282246310005', 'order 1234 5678 9012 3456'],
    ['iban', 'IBAN DE89 3704 0044 0532 0130 00 please', 'DE89 3704 0044 0532 0130 00', 'IBAN DE89 3704 0044 0532 0130 01 fails mod-97'],
    ['iban', 'pay GB82WEST12345698765432', 'GB82WEST12345698765432', 'code XX12ABCD12345678'],
    ['us_ssn', 'SSN 536-22-8417', '536-22-8417', 'invalid 666-45-1234, 000-12-3456, 536-00-8417, 912-34-5678'],
    ['uk_nino', 'NI number AB 12 34 56 C', 'AB 12 34 56 C', 'sample QQ 12 34 56 C'],
    ['ip_address', 'failed login from 203.0.113.45', '203.0.113.45', 'version 1.2.3.4, 127.0.0.1, 255.255.255.0, section 2.1.3.4'],
    ['ip_address', 'client 2001:db8:85a3::8a2e:370:7334', '2001:db8:85a3::8a2e:370:7334', 'std::vector at 10:30:45, MAC 00:1A:2B:3C:4D:5E'],
    ['aws_access_key', 'key AKIAIOSFODNN7EXAMPLE here', 'AKIAIOSFODNN7EXAMPLE', 'AKIAXXXXXXXXXXXXXXXX'],
    ['aws_secret_key', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key = <your-secret-key>'],
    ['github_token', `GITHUB_TOKEN=${GHP}`, GHP, 'ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'],
    ['slack_token', `token ${SLACK}`, SLACK, 'xoxb-your-bot-token'],
    ['openai_key', `OPENAI_API_KEY=${OPENAI}`, OPENAI, 'OPENAI_API_KEY=sk-... (pip install scikit-learn)'],
    ['anthropic_key', `x-api-key: ${ANTHROPIC}`, ANTHROPIC, 'keys look like sk-ant-api03-...'],
    ['stripe_key', `STRIPE_KEY=${STRIPE}`, STRIPE, 'sk_live_... and pk_live_4eC39HqLyjWDarjtT1zdp7dc'],
    ['google_api_key', `key=${GOOGLE}`, GOOGLE, 'Google keys start with AIza'],
    ['jwt', `Authorization: Bearer ${JWT}`, JWT, 'JWTs look like xxxxx.yyyyy.zzzzz; eyJhbGciOiJIUzI1NiJ9 alone'],
    ['private_key', `key:\n${PEM}\nthanks`, PEM_BODY.slice(0, 64), '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----'],
    ['url_password', 'postgres://app:S3cretPassw0rd@db:5432/x', 'S3cretPassw0rd', 'postgres://user:password@localhost/app'],
    ['password', 'DB_PASSWORD=Tr0ub4dor&3', 'Tr0ub4dor&3', 'Your password must be at least 12 characters; password = request.form["password"]'],
    ['password', 'my password is hunter2, is it ok?', 'hunter2', 'The password is incorrect.'],
    ['generic_secret', 'API_KEY=3f9a1c7e52b84d06a1e9f0c2d7b34e58', '3f9a1c7e52b84d06a1e9f0c2d7b34e58', 'api_key = os.environ["API_KEY"]; max_tokens: 4096'],
    ['bearer_token', 'Authorization: Bearer 7f3c9e1a2b4d4e8f9a0bc1d2e3f4a5b6', '7f3c9e1a2b4d4e8f9a0bc1d2e3f4a5b6', 'Authorization: Bearer <token>'],
    ['slack_webhook', 'hook https://hooks.slack.com/services/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', 'aB3dE5fG7hI9jK1lM3nO5pQ7', 'see hooks.slack.com docs'],
  ]
  for (const [entity, text, secret, lookAlike] of table) {
    test(`${entity}: ${JSON.stringify(text.slice(0, 48))}`, async () => {
      const v = await run(g, text)
      assert.equal(v.action, 'rewrite')
      const r = v as Extract<Verdict, { action: 'rewrite' }>
      assert.ok(r.findings?.some((f) => f.type === entity), `${entity} among ${JSON.stringify(r.findings)}`)
      assert.ok((r.texts[0] as string).includes(`[${entity.toUpperCase()}_REDACTED]`), r.texts[0])
      assertNoLeak(r.texts[0] as string, secret)
      assert.deepEqual(await run(g, lookAlike), { action: 'allow' }, `look-alike ${JSON.stringify(lookAlike)}`)
    })
  }
})

describe('check digits and number rules', () => {
  test('Luhn', () => {
    for (const ok of ['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117', '30569309025904']) assert.ok(luhn(ok), ok)
    for (const bad of ['4111111111111112', '1234567812345678', '', '12a4']) assert.ok(!luhn(bad), bad)
  })
  test('IBAN mod-97 and registry length', () => {
    for (const ok of ['DE89370400440532013000', 'GB82WEST12345698765432', 'FR1420041010050500013M02606', 'NO9386011117947']) assert.ok(ibanValid(ok), ok)
    assert.ok(!ibanChecksumOk('DE89370400440532013001'))
    assert.ok(!ibanValid('DE8937040044053201300')) // one short
    assert.ok(!ibanValid('XX89370400440532013000')) // no such country
  })
  test('card networks', () => {
    assert.ok(cardBrandOk('4111111111111111'))
    assert.ok(cardBrandOk('2223003122003222'))
    assert.ok(!cardBrandOk('9111111111111111'))
    assert.ok(!cardBrandOk('411111111111111')) // Visa has no 15-digit numbers
  })
  test('SSN ranges', () => {
    assert.ok(ssnValid('536', '22', '8417'))
    for (const [a, g, s] of [['000', '12', '3456'], ['666', '12', '3456'], ['912', '12', '3456'], ['536', '00', '8417'], ['536', '22', '0000'], ['078', '05', '1120']]) {
      assert.ok(!ssnValid(a as string, g as string, s as string), `${a}-${g}-${s}`)
    }
  })
})

describe('verdicts', () => {
  test('allow when nothing is found; an empty list or empty texts are fine', async () => {
    const g = await make()
    assert.deepEqual(await run(g, 'The quarterly report shows 12% growth.', ''), { action: 'allow' })
    assert.deepEqual(await g.checkInput?.([], ctx), { action: 'allow' })
  })

  test('a rewrite returns one text per input text, in order, with findings by index and span', async () => {
    const g = await make()
    const v = (await run(g, 'nothing here', 'mail bob@example.com now', 'call +1 (415) 555-0132')) as Extract<Verdict, { action: 'rewrite' }>
    assert.equal(v.action, 'rewrite')
    assert.deepEqual(v.texts, ['nothing here', 'mail [EMAIL_REDACTED] now', 'call [PHONE_NUMBER_REDACTED]'])
    assert.deepEqual(v.findings, [
      { type: 'email', index: 1, start: 5, end: 20 },
      { type: 'phone_number', index: 2, start: 5, end: 22 },
    ])
  })

  test('checkOutput answers like checkInput; the guardrail carries its configured name', async () => {
    const g = await make({}, 'my-filter')
    assert.equal(g.name, 'my-filter')
    const v = await g.checkOutput?.(texts('answer: jane@example.com'), ctx)
    assert.deepEqual(v && v.action === 'rewrite' ? v.texts : v, ['answer: [EMAIL_REDACTED]'])
  })

  test('action: block blocks; the reason names the entity types and never the matched text', async () => {
    const g = await make({ action: 'block' })
    const secrets = ['4111 1111 1111 1111', 'jane@example.com', OPENAI]
    const v = await run(g, `card ${secrets[0]}, mail ${secrets[1]}`, `key ${secrets[2]}`)
    assert.equal(v.action, 'block')
    const b = v as Extract<Verdict, { action: 'block' }>
    assert.match(b.reason, /credit_card/)
    assert.match(b.reason, /email/)
    assert.match(b.reason, /openai_key/)
    const all = JSON.stringify(b)
    for (const s of secrets) assertNoLeak(all, s)
    assert.deepEqual(b.details, { entities: ['credit_card', 'email', 'openai_key'], blocking: ['credit_card', 'email', 'openai_key'] })
  })

  test('overlapping findings are masked as one region: nothing of the secret survives', async () => {
    const g = await make()
    // an assignment whose value is a provider key: one tag, the more specific one
    assert.equal(await masked(g, `OPENAI_API_KEY="${OPENAI}"`), 'OPENAI_API_KEY="[OPENAI_KEY_REDACTED]"')
    // a bearer header carrying a JWT
    const out = await masked(g, `Authorization: Bearer ${JWT}`)
    assert.equal(out, 'Authorization: Bearer [JWT_REDACTED]')
    // a private key, truncated (no END line)
    const truncated = `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}`
    const t = await masked(g, `mine got cut:\n${truncated}`)
    assert.equal(t, 'mine got cut:\n[PRIVATE_KEY_REDACTED]')
    // a password with & and ; in it
    assertNoLeak(await masked(g, 'DB_PASSWORD=Tr0ub4dor&3;x'), 'Tr0ub4dor&3;x')
    // a JSON string with an escaped quote
    assert.equal(await masked(g, '{"password": "pa\\"ss-w0rd!"}'), '{"password": "[PASSWORD_REDACTED]"}')
    // a password that starts with $ (not an environment variable)
    assert.equal(await masked(g, 'password: "$ecretPass1"'), 'password: "[PASSWORD_REDACTED]"')
    assert.deepEqual(await run(g, 'password: "$DB_PASSWORD"'), { action: 'allow' })
  })
})

describe('configuration', () => {
  test('categories: pii only leaves credentials alone, and the other way round', async () => {
    const pii = await make({ categories: ['pii'] })
    const creds = await make({ categories: 'credentials' })
    const text = `mail jane@example.com key ${GHP}`
    assert.equal(await masked(pii, text), `mail [EMAIL_REDACTED] key ${GHP}`)
    assert.equal(await masked(creds, text), 'mail jane@example.com key [GITHUB_TOKEN_REDACTED]')
  })

  test('per-entity overrides: block one, switch one off, enable one outside the categories', async () => {
    const g = await make({ categories: ['pii'], entities: { credit_card: 'block', ip_address: 'off', jwt: 'mask' } })
    assert.equal(await masked(g, 'from 203.0.113.45 mail jane@example.com'), 'from 203.0.113.45 mail [EMAIL_REDACTED]')
    assert.equal(await masked(g, `token ${JWT}`), 'token [JWT_REDACTED]')
    const v = await run(g, 'mail jane@example.com', 'card 4111111111111111')
    assert.equal(v.action, 'block')
    assert.equal((v as Extract<Verdict, { action: 'block' }>).reason, 'sensitive content found: credit_card (also email)')
    const off = await make({ entities: { ip_address: false, email: 'OFF' } })
    assert.deepEqual(await run(off, 'from 203.0.113.45 mail jane@example.com'), { action: 'allow' })
  })

  test('mask_format with {entity} / {ENTITY}; LiteLLM pattern_redaction_format and keyword_redaction_tag', async () => {
    assert.equal(await masked(await make({ mask_format: '<{entity}>' }), 'mail jane@example.com'), 'mail <email>')
    assert.equal(await masked(await make({ mask_format: '***{ENTITY}***' }), 'SSN 536-22-8417'), 'SSN ***US_SSN***')
    assert.equal(await masked(await make({ mask_format: '[redacted]' }), 'mail jane@example.com'), 'mail [redacted]')
    const litellm = await make({
      patterns: [{ pattern_type: 'prebuilt', pattern_name: 'email', action: 'MASK' }],
      blocked_words: [{ keyword: 'confidential', action: 'MASK' }],
      pattern_redaction_format: '<<{pattern_name}>>',
      keyword_redaction_tag: '[KW]',
    })
    assert.equal(await masked(litellm, 'confidential: jane@example.com'), '[KW]: <<EMAIL>>')
    assert.equal((await paramError({ mask_format: '[{type}]' })).key, 'mask_format')
  })
})

describe('LiteLLM params', () => {
  test('patterns: prebuilt names map to our entities; only the listed ones run', async () => {
    const g = await make({
      patterns: [
        { pattern_type: 'prebuilt', pattern_name: 'email', action: 'MASK' },
        { pattern_type: 'prebuilt', pattern_name: 'us_ssn', action: 'BLOCK' },
        { pattern_type: 'prebuilt', pattern_name: 'visa', action: 'MASK' },
        { pattern_type: 'prebuilt', pattern_name: 'aws_access_key', action: 'MASK' },
      ],
    })
    assert.equal(
      await masked(g, 'mail jane@example.com, call +1 (415) 555-0132, card 4111 1111 1111 1111, key AKIAIOSFODNN7EXAMPLE'),
      'mail [EMAIL_REDACTED], call +1 (415) 555-0132, card [CREDIT_CARD_REDACTED], key [AWS_ACCESS_KEY_REDACTED]',
    )
    const v = await run(g, 'My SSN is 536-22-8417')
    assert.equal(v.action, 'block')
    assert.match((v as Extract<Verdict, { action: 'block' }>).reason, /us_ssn/)
  })

  test('an unknown prebuilt name is a ParamError naming the pattern', async () => {
    const err = await paramError({ patterns: [{ pattern_type: 'prebuilt', pattern_name: 'email' }, { pattern_type: 'prebuilt', pattern_name: 'passport_narnia' }] })
    assert.equal(err.key, 'patterns.1.pattern_name')
    assert.match(err.message, /unknown prebuilt pattern "passport_narnia"/)
    assert.match(err.message, /credit_card/) // lists what is available
  })

  test('regex patterns run in re2js: named, case-insensitive, with their own action', async () => {
    const g = await make({
      patterns: [
        { pattern_type: 'regex', pattern: 'EMP-\\d{6}', name: 'employee_id', action: 'MASK' },
        { pattern_type: 'regex', pattern: 'project[ _-]?(?:falcon|osprey)', action: 'BLOCK' },
      ],
    })
    assert.equal(await masked(g, 'badge emp-123456 and EMP-654321'), 'badge [EMPLOYEE_ID_REDACTED] and [EMPLOYEE_ID_REDACTED]')
    const v = await run(g, 'status of Project Falcon?')
    assert.equal(v.action, 'block')
    assert.match((v as Extract<Verdict, { action: 'block' }>).reason, /custom_regex/)
    assert.doesNotMatch((v as Extract<Verdict, { action: 'block' }>).reason, /Falcon/i)
  })

  test('a regex RE2 cannot run is refused at load, naming the pattern and saying why', async () => {
    for (const [pattern, why] of [
      ['(?=.*secret)password', /lookahead/],
      ['(?<!no )secret', /lookbehind/],
      ['(\\w+) \\1', /backreference/],
      ['(?>a+)b', /atomic group/],
      ['a++', /possessive/],
    ] as const) {
      const err = await paramError({ patterns: [{ pattern_type: 'regex', name: 'mine', pattern }] })
      assert.equal(err.key, 'patterns.0.pattern')
      assert.match(err.message, /pattern "mine"/)
      assert.ok(err.message.includes(JSON.stringify(pattern)), err.message)
      assert.match(err.message, /RE2/)
      assert.match(err.message, why)
    }
    const empty = await paramError({ patterns: [{ pattern_type: 'regex', pattern: 'x*' }] })
    assert.match(empty.message, /matches the empty string/)
    assert.equal((await paramError({ patterns: [{ pattern_type: 'regex' }] })).key, 'patterns.0.pattern')
  })

  test('a regex that backtracks catastrophically in V8 runs in linear time in re2js', async () => {
    const g = await make({ patterns: [{ pattern_type: 'regex', pattern: '(a+)+$', name: 'evil' }, { pattern_type: 'regex', pattern: '(x+x+)+y', name: 'evil2' }] })
    const started = performance.now()
    await run(g, 'a'.repeat(100_000) + '!', 'x'.repeat(100_000))
    const ms = performance.now() - started
    console.log(`re2js, (a+)+$ and (x+x+)+y over 2 × 100 KB: ${ms.toFixed(1)} ms`)
    assert.ok(ms < 5000) // V8 would not finish (exponential); only a gross regression trips this
  })

  test('blocked_words: whole words, any case, mask or block (default block)', async () => {
    const g = await make({
      blocked_words: [{ keyword: 'Frobnicate', action: 'MASK', description: 'internal codename' }, { keyword: 'project osprey', action: 'mask' }, 'verboten'],
    })
    assert.equal(await masked(g, 'We FROBNICATE daily; frobnicated is fine; Project  Osprey vs project osprey.'), 'We [KEYWORD_REDACTED] daily; frobnicated is fine; Project  Osprey vs [KEYWORD_REDACTED].')
    const v = await run(g, 'das ist Verboten!')
    assert.equal(v.action, 'block')
    assert.equal((v as Extract<Verdict, { action: 'block' }>).reason, 'sensitive content found: keyword')
  })

  test('a long keyword list is looked up per word', async () => {
    const words = Array.from({ length: 5000 }, (_, i) => `codeword${i}`)
    const g = await make({ blocked_words: words.map((keyword) => ({ keyword, action: 'MASK' })) })
    assert.equal(await masked(g, 'say codeword4999, not codeword5000, and CODEWORD7'), 'say [KEYWORD_REDACTED], not codeword5000, and [KEYWORD_REDACTED]')
  })

  test('blocked_words_file: LiteLLM YAML, a JSON list, plain text; relative to the config folder', async () => {
    await writeFile(join(dir, 'words.yaml'), 'blocked_words:\n  - keyword: "alpha"\n    action: "BLOCK"\n  - keyword: "beta"\n    action: "MASK"\n    description: "x"\n')
    await writeFile(join(dir, 'words.json'), JSON.stringify([{ keyword: 'gamma', action: 'MASK' }, 'delta']))
    await writeFile(join(dir, 'words.txt'), '# one a line\nepsilon\n\nzeta eta\n')
    const yaml = await make({ blocked_words_file: 'words.yaml' })
    assert.equal(await masked(yaml, 'beta test'), '[KEYWORD_REDACTED] test')
    assert.equal((await run(yaml, 'alpha test')).action, 'block')
    const json = await make({ blocked_words_file: join(dir, 'words.json') })
    assert.equal(await masked(json, 'gamma ray'), '[KEYWORD_REDACTED] ray')
    assert.equal((await run(json, 'delta force')).action, 'block')
    const txt = await make({ blocked_words_file: './words.txt', categories: ['pii'] })
    assert.equal((await run(txt, 'the Zeta  eta? no: zeta eta!')).action, 'block')
    assert.deepEqual(await run(txt, 'epsilons and zeta'), { action: 'allow' })
    const missing = await paramError({ blocked_words_file: 'nope.yaml' })
    assert.equal(missing.key, 'blocked_words_file')
    assert.match(missing.message, /does not exist/)
    await writeFile(join(dir, 'bad.yaml'), 'blocked_words: 42\n')
    assert.equal((await paramError({ blocked_words_file: 'bad.yaml' })).key, 'blocked_words_file')
  })

  test('a LiteLLM-style config gets exactly what it lists; `categories` adds the built-in sets back', async () => {
    const only = await make({ blocked_words: [{ keyword: 'confidential', action: 'MASK' }] })
    assert.equal(await masked(only, 'confidential: jane@example.com'), '[KEYWORD_REDACTED]: jane@example.com')
    const both = await make({ categories: ['pii'], blocked_words: [{ keyword: 'confidential', action: 'MASK' }] })
    assert.equal(await masked(both, 'confidential: jane@example.com'), '[KEYWORD_REDACTED]: [EMAIL_REDACTED]')
  })
})

describe('bad params are ParamErrors naming the key', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ action: 'nuke' }, 'action'],
    [{ categories: ['pii', 'finance'] }, 'categories.1'],
    [{ categories: [{ category: 'harmful_self_harm', enabled: true }] }, 'categories'],
    [{ entities: { passport: 'mask' } }, 'entities.passport'],
    [{ entities: { email: 'hide' } }, 'entities.email'],
    [{ entities: ['email'] }, 'entities'],
    [{ mask_format: 5 }, 'mask_format'],
    [{ patterns: [{ pattern_type: 'glob', pattern: '*' }] }, 'patterns.0.pattern_type'],
    [{ patterns: [{ pattern_type: 'prebuilt' }] }, 'patterns.0.pattern_name'],
    [{ blocked_words: [{ keyword: 'x', action: 'DELETE' }] }, 'blocked_words.0'],
    [{ blocked_words: [42] }, 'blocked_words.0'],
    [{ categorys: ['pii'] }, 'categorys'],
    [{ entities: { email: 'off', phone_number: 'off' }, categories: [] }, 'entities'],
  ]
  for (const [params, key] of cases) {
    test(`${JSON.stringify(params)} → ${key}`, async () => {
      const err = await paramError(params)
      assert.equal(err.key, key, err.message)
      assert.ok(err.message.length > 0)
    })
  }
  test('the params every guardrail shares are accepted', async () => {
    await make({ default_on: true, on_error: 'allow', on_block: 'refusal', refusal_message: 'no', timeout: 2, mode: ['pre_call', 'post_call'] })
  })
})

// A scanner that backtracks on one of these would hang here (the suite's
// timeout fails it); their times are the bench's (bench/content-filter.ts).
describe('adversarial inputs: every scanner finishes', () => {
  const detectors = [...PII_DETECTORS, ...CREDENTIAL_DETECTORS]
  for (const [label, input] of Object.entries(ADVERSARIAL_INPUTS)) {
    test(label, () => {
      for (const d of detectors) d.scan(input, () => {})
    })
  }
  test('the whole guardrail over a 100 KB mixed adversarial text, with a user pattern and keywords, answers', async () => {
    const g = await make({ patterns: [{ pattern_type: 'regex', pattern: '(a|aa)+@', name: 'user' }], blocked_words: ['alpha'] })
    const text = ('a'.repeat(1000) + '@' + '1-'.repeat(500) + 'password=' + '='.repeat(500)).repeat(40).slice(0, 100_000)
    const v = await run(g, text)
    assert.ok(['allow', 'flag', 'rewrite', 'block'].includes(v.action))
  })
})
