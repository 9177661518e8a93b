// The house rules of src/, checked on every test run: no import cycle, and
// every import runs down the layers (DESIGN.md: http → gateway → protocols →
// guardrails/router → providers, …). The HTTP layer imports only what it
// serves: the gateway, authentication, the protocols and its own interfaces,
// never the store, the quotas or shared state. Only the composition root
// (src/app.ts) knows every layer.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'node:test'

const SRC = resolve(import.meta.dirname, '../src')

/** What each layer (a folder of src/, or a file at its root) may import besides itself and the root's leaf modules. */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  'app.ts': ['*'],
  app: ['*'],
  'cli.ts': ['app.ts', 'config', 'eval', 'guardrails'],
  eval: ['guardrails'],
  http: ['gateway', 'auth', 'protocols', 'telemetry'],
  gateway: ['protocols', 'guardrails', 'router', 'providers', 'telemetry'],
  protocols: ['guardrails', 'providers'],
  guardrails: ['config', 'providers'],
  router: ['config', 'providers'],
  config: ['providers'],
  providers: [],
  quotas: ['auth', 'shared'],
  auth: ['store'],
  shared: ['telemetry'],
  store: ['telemetry'],
  telemetry: [],
}
/** Modules at the root of src/ that depend on nothing and that every layer may use. */
const LEAVES = new Set(['errors.ts', 'json.ts'])

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*'(\.[^']+)'|import\s*\(\s*'(\.[^']+)'\s*\)|(?:^|\n)\s*import\s+'(\.[^']+)'/g

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(IMPORT)].map((m) => resolve(dirname(file), (m[1] ?? m[2] ?? m[3]) as string))
}

const layerOf = (file: string): string => relative(SRC, file).split('/')[0] as string

const graph = new Map(sources(SRC).map((f) => [f, importsOf(f)]))
const name = (f: string): string => relative(SRC, f)

test('the layer table names every folder and root module of src/', () => {
  const layers = new Set([...graph.keys()].map(layerOf))
  for (const l of layers) assert.ok(l in MAY_IMPORT || LEAVES.has(l), `src/${l} is in no layer: add it to MAY_IMPORT`)
})

test('every import of src/ resolves to a file of src/', () => {
  const missing = [...graph].flatMap(([f, deps]) => deps.filter((d) => !graph.has(d)).map((d) => `${name(f)} → ${name(d)}`))
  assert.deepEqual(missing, [])
})

test('imports run down the layers; http/ imports only what it serves', () => {
  const upward: string[] = []
  for (const [file, deps] of graph) {
    const from = layerOf(file)
    const allowed = MAY_IMPORT[from] ?? []
    for (const dep of deps) {
      const to = layerOf(dep)
      if (to === from || LEAVES.has(to) || allowed.includes('*') || allowed.includes(to)) continue
      upward.push(`${name(file)} → ${name(dep)}`)
    }
  }
  assert.deepEqual(upward, [])
})

test('the root leaf modules import nothing of src/', () => {
  for (const leaf of LEAVES) assert.deepEqual(graph.get(join(SRC, leaf))?.map(name), [], leaf)
})

test('no import cycle in src/', () => {
  const cycles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (f: string): void => {
    state.set(f, 'open')
    path.push(f)
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 'open') cycles.push([...path.slice(path.indexOf(d)), d].map(name).join(' → '))
      else if (!state.has(d) && graph.has(d)) visit(d)
    }
    path.pop()
    state.set(f, 'done')
  }
  for (const f of graph.keys()) if (!state.has(f)) visit(f)
  assert.deepEqual(cycles, [])
})
