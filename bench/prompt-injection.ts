// Cost of the prompt_injection guardrail on ordinary text (no attacks),
// checked repeatedly through the guardrail's checkInput: about 4 KB of
// English prose, code, JSON, markdown and a stack trace; the same amount
// mixing all nine languages in one text (the costly case: every language's
// phrase tables are live); each sample alone; and one 100 KB input. Prints
// microseconds of CPU per KB (the budget for the whole built-in set is
// 50 µs/KB). The samples mention instructions, systems, rules, developer mode
// and "ignore" on purpose: the scanner does its most work on such words.
//
//   npx node bench/prompt-injection.ts
import { createPromptInjection } from '../src/guardrails/builtin/prompt-injection.ts'
import type { GuardText } from '../src/guardrails/types.ts'
import { guardContext } from '../test/guardrails/unit/helpers.ts'

const SAMPLES = [
  `The quarterly report shows revenue growth of 12% across all regions. Our engineering team shipped the new billing system in March, and customer satisfaction scores improved. Please review the attached spreadsheet and let me know if the numbers look right before Friday's meeting.`,
  `I was wondering whether we could move the offsite to the second week of June; the venue said they have availability. Also, what are good practices for onboarding new developers to a large codebase? Should we write more documentation or pair them with a mentor for the first month?`,
  "Here's my function, it keeps returning undefined:\n```js\nasync function load(id) {\n  const res = await fetch(`/api/items/${id}`)\n  if (!res.ok) throw new Error('failed: ' + res.status)\n  res.json()\n}\n```\nWhat am I missing? The system logs show a 200 response and the instructions in the README say this should work.",
  `{"order_id": "A-10293", "customer": {"name": "Maria Lopez", "email": "maria@example.com"}, "items": [{"sku": "KB-204", "qty": 2, "price": 49.99}], "notes": "Leave at the front desk. Ignore the doorbell, it is broken.", "status": "shipped"}`,
  `## Installation\n\n1. Clone the repository and run \`npm install\`.\n2. Copy \`.env.example\` to \`.env\` and fill in the database settings.\n3. Run the migrations with \`npm run migrate\`.\n\n> Note: on Windows, enable developer mode so that symlinks work. The system requirements are Node 20+ and PostgreSQL 14.`,
  `Can you explain how photosynthesis works in simple terms for a ten-year-old? My daughter's science teacher gave instructions for a poster project and the rules say it has to fit on one page, with a diagram and three short paragraphs.`,
  `¿Podrías ayudarme a redactar un correo para mi jefe? Quiero pedirle dos días libres la semana que viene porque mi hermana se casa en Sevilla. Las instrucciones de recursos humanos dicen que hay que avisar con diez días de antelación.`,
  `Bonjour, je cherche une recette de gâteau au chocolat sans gluten pour l'anniversaire de mon fils. Les consignes de l'école interdisent les fruits à coque. Avez-vous des idées simples ?`,
  `Ich brauche Hilfe bei meiner Steuererklärung. Welche Unterlagen muss ich für das Homeoffice einreichen, und wie hoch ist die Pauschale in diesem Jahr? Die Anweisungen vom Finanzamt sind leider sehr unklar.`,
  `Привет! Помоги, пожалуйста, составить план тренировок на неделю: я бегаю три раза в неделю и хочу подготовиться к полумарафону осенью. Какие правила питания стоит соблюдать?`,
  `我想学习Python编程，请推荐一些适合初学者的书籍和在线课程。另外，如何在电脑上安装开发环境？系统要求是什么？`,
  `来週の会議の資料を作成しています。売上のグラフを見やすくするためのコツを教えてください。上司からの指示では、スライドは十枚以内にまとめることになっています。`,
  `Olá! Preciso de ajuda para planejar uma viagem de dez dias pela Itália em setembro. Quais cidades você recomenda e qual é a melhor forma de se deslocar entre elas? As regras de bagagem da companhia aérea são bem rígidas.`,
  `Ciao, sto scrivendo la tesi sulla storia dell'architettura romana e ho bisogno di una bibliografia. Il mio relatore ha dato istruzioni precise sul formato delle citazioni: devo usare lo stile Chicago.`,
  `Stack trace:\n  at Object.<anonymous> (/srv/app/index.js:14:11)\n  at Module._compile (node:internal/modules/cjs/loader:1256:14)\nError: ECONNREFUSED 127.0.0.1:5432\nThe database container is up; docker ps shows it healthy. I followed the setup instructions twice. Any idea?`,
]

function mixedText(targetBytes: number): string {
  let out = ''
  let i = 0
  while (Buffer.byteLength(out) < targetBytes) out += (SAMPLES[i++ % SAMPLES.length] as string) + '\n\n'
  return out
}

const ctx = guardContext()

const guardrail = await createPromptInjection({}, { name: 'bench', configDir: '.' })
const checkInput = guardrail.checkInput as NonNullable<typeof guardrail.checkInput>

/**
 * Microseconds of CPU time per check: the best and the median of seven
 * rounds. CPU time (process.cpuUsage), not wall time, so that other work on
 * a shared machine counts less.
 */
async function measure(text: string, iterations: number): Promise<{ best: number; median: number }> {
  const texts: GuardText[] = [{ index: 0, text, source: 'user' }]
  for (let i = 0; i < Math.min(200, iterations); i++) await checkInput(texts, ctx) // warm up
  const rounds: number[] = []
  for (let r = 0; r < 7; r++) {
    const started = process.cpuUsage()
    for (let i = 0; i < iterations; i++) {
      const v = await checkInput(texts, ctx)
      if (v.action !== 'allow') throw new Error(`ordinary text was not allowed: ${JSON.stringify(v)}`)
    }
    const used = process.cpuUsage(started)
    rounds.push((used.user + used.system) / iterations)
  }
  rounds.sort((a, b) => a - b)
  return { best: rounds[0] as number, median: rounds[3] as number }
}

const ENGLISH = [0, 1, 2, 3, 4, 5, 14]
let english = ''
while (Buffer.byteLength(english) < 4096) for (const i of ENGLISH) english += (SAMPLES[i] as string) + '\n\n'
for (const [name, text] of [
  ['English prose, code, JSON, markdown', english],
  ['all nine languages in one text', mixedText(4 * 1024)],
] as const) {
  const kb = Buffer.byteLength(text) / 1024
  const us = await measure(text, 1000)
  console.log(`${name}: ${kb.toFixed(1)} KB — best ${(us.best / kb).toFixed(1)}, median ${(us.median / kb).toFixed(1)} µs/KB (${us.median.toFixed(0)} µs per check)`)
}

// per-sample cost, to spot an expensive language or shape
for (const [i, s] of SAMPLES.entries()) {
  const t = s.repeat(Math.ceil(2048 / Buffer.byteLength(s)))
  const u = await measure(t, 500)
  const kb = Buffer.byteLength(t) / 1024
  console.log(`  sample ${String(i).padStart(2)}: best ${(u.best / kb).toFixed(1)}, median ${(u.median / kb).toFixed(1)} µs/KB`)
}

const big = mixedText(100 * 1024)
const bigUs = await measure(big, 20)
console.log(`one ${(Buffer.byteLength(big) / 1024).toFixed(0)} KB input: best ${(bigUs.best / 1000).toFixed(2)} ms, median ${(bigUs.median / 1000).toFixed(2)} ms`)
