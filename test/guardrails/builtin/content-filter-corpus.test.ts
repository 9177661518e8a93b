// Scores the content_filter guardrail on the hand-written corpus
// (test/corpus/pii.jsonl, test/corpus/credentials.jsonl) with the params of
// test/corpus/portcullis.eval.yaml, and holds the bars reached: precision and
// recall ≥ 0.97 per guardrail. Misses are printed.
//   npx node --test test/guardrails/builtin/content-filter-corpus.test.ts
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { loadConfigFile } from '../../../src/config/load.ts'
import { loadCases } from '../../../src/eval/cases.ts'
import { evaluate, type GuardrailScore } from '../../../src/eval/run.ts'
import { createContentFilter } from '../../../src/guardrails/builtin/content-filter.ts'
import type { GuardrailSpec } from '../../../src/guardrails/spec.ts'

const corpus = (f: string): string => fileURLToPath(new URL(`../../corpus/${f}`, import.meta.url))
const BAR = 0.97

async function spec(name: string, params: Readonly<Record<string, unknown>>): Promise<GuardrailSpec> {
  return {
    name,
    type: 'content_filter',
    modes: new Set(['pre_call']),
    defaultOn: false,
    onError: 'block',
    onBlock: 'error',
    refusalMessage: 'blocked',
    timeoutMs: 5000,
    guardrail: await createContentFilter(params, { name, configDir: corpus('.') }),
  }
}

function report(s: GuardrailScore): string {
  const lines = [
    `${s.guardrail}: ${s.cases} cases, tp ${s.tp} fp ${s.fp} fn ${s.fn} tn ${s.tn}, wrong action ${s.wrongAction}, ` +
      `precision ${s.precision.toFixed(3)} recall ${s.recall.toFixed(3)} f1 ${s.f1.toFixed(3)}, ${s.usPerKb.toFixed(1)} µs/KB`,
  ]
  for (const m of s.misses) lines.push(`  ${m.where}: expected ${m.expected}, got ${m.got}: ${JSON.stringify(m.text.slice(0, 140))}`)
  return lines.join('\n')
}

const cases = await loadCases([corpus('pii.jsonl'), corpus('credentials.jsonl')])

test('the corpus is big enough and at least half benign', () => {
  for (const g of ['pii', 'credentials']) {
    const mine = cases.filter((c) => c.guardrail === g)
    const positives = mine.filter((c) => c.expect !== 'allow').length
    assert.ok(mine.length >= 150, `${g}: ${mine.length} cases`)
    assert.ok(mine.length - positives >= positives, `${g}: ${positives} positives, ${mine.length - positives} benign`)
  }
  assert.ok(cases.length >= 300)
})

// the eval config's content_filter entries (the guardrail type is registered by the lead; the params are ours)
const { config } = await loadConfigFile(corpus('portcullis.eval.yaml'))
const entries = config.guardrails.filter((g) => g.litellm_params.guardrail === 'content_filter')

test('the eval config declares pii and credentials over content_filter, pre_call', () => {
  assert.deepEqual(
    entries.map((g) => [g.guardrail_name, g.litellm_params.mode, g.litellm_params.categories]),
    [
      ['pii', 'pre_call', ['pii']],
      ['credentials', 'pre_call', ['credentials']],
    ],
  )
})

for (const entry of entries) {
  const name = entry.guardrail_name
  test(`corpus: ${name} precision and recall ≥ ${BAR}`, async () => {
    const score = await evaluate(await spec(name, entry.litellm_params), cases)
    console.log(report(score))
    assert.ok(score.cases >= 150)
    assert.ok(score.precision >= BAR, `precision ${score.precision}`)
    assert.ok(score.recall >= BAR, `recall ${score.recall}`)
    assert.equal(score.wrongAction, 0)
  })
}
