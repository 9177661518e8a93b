// What the benchmark sends and what its fake upstream answers: a realistic
// prompt of about 1 KB of prose with nothing a guardrail should act on (no PII,
// no credentials, no injection phrasing), so every guardrail runs its whole scan
// and lets the call through unchanged.

export const MODEL = 'bench-model'

export const SYSTEM_PROMPT =
  'You are a careful technical writing assistant. Answer in plain English, keep the structure the user asks for, and say so when you are unsure.'

export const USER_PROMPT = [
  'Our team is rewriting the onboarding guide for the internal data platform, and I would like your help with the section',
  'that explains how batch jobs are scheduled. Today the guide jumps straight into configuration files, which confuses',
  'new engineers who have never seen the scheduler before. I want the section to start with the idea of a pipeline as a',
  'chain of small steps, each of which reads a table, transforms it, and writes a new table that the next step depends on.',
  'After that it should explain why steps are retried automatically when a machine goes away, why a step must be safe',
  'to run twice, and how the scheduler decides which steps can run side by side. Please keep the tone friendly but',
  'precise, avoid marketing language, and use short paragraphs. Suggest a simple diagram we could draw by hand, and end',
  'with a short checklist a reader can use before submitting their first pipeline for review by the platform team.',
].join(' ')

/** The fake upstream's answer, and the same text cut into the ten pieces it streams. */
export const ANSWER_CHUNKS: readonly string[] = [
  'A pipeline is a chain of small steps. ',
  'Each step reads a table, changes it, ',
  'and writes a new table for the next step. ',
  'The scheduler runs a step once the tables ',
  'it reads are ready, and runs independent ',
  'steps side by side. When a machine goes ',
  'away, the step is simply run again, ',
  'which is why every step must be safe ',
  'to repeat. Draw the steps as boxes and ',
  'the tables between them as arrows.',
]
export const ANSWER_TEXT = ANSWER_CHUNKS.join('')

export function requestBody(stream: boolean): string {
  return JSON.stringify({
    model: MODEL,
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: USER_PROMPT },
    ],
    temperature: 0.2,
    max_tokens: 400,
    ...(stream ? { stream: true } : {}),
  })
}
