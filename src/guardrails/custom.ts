// Users' own guardrails: `guardrail: custom` with `module: ./file.ts|.js|.mjs`,
// resolved against the config file's folder. The module's default export is a
// factory that receives the guardrail's params and returns a Guardrail (it may
// be async), or is a Guardrail itself. Anything else is a start-up error.
import { existsSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ParamError, type FactoryContext } from './factory.ts'
import type { Guardrail } from './types.ts'

export async function loadCustomGuardrail(params: Readonly<Record<string, unknown>>, ctx: FactoryContext): Promise<Guardrail> {
  const module = params.module
  if (typeof module !== 'string' || module === '') throw new ParamError('module', 'custom guardrails need `module: ./path/to/guardrail.ts`')
  const file = isAbsolute(module) ? module : resolve(ctx.configDir, module)
  if (!existsSync(file)) throw new ParamError('module', `module ${file} does not exist`)
  let exported: unknown
  try {
    exported = ((await import(pathToFileURL(file).href)) as { default?: unknown }).default
  } catch (err) {
    throw new ParamError('module', `module ${file} failed to load: ${(err as Error).message}`)
  }
  let instance: unknown = exported
  if (typeof exported === 'function') {
    try {
      instance = await (exported as (p: Readonly<Record<string, unknown>>, c: FactoryContext) => unknown)(params, ctx)
    } catch (err) {
      throw new ParamError('module', `the factory exported by ${file} threw: ${(err as Error).message}`)
    }
  }
  if (typeof instance !== 'object' || instance === null) {
    throw new ParamError('module', `${file} must default-export a Guardrail or a factory returning one`)
  }
  const g = instance as Partial<Guardrail>
  if (typeof g.checkInput !== 'function' && typeof g.checkOutput !== 'function' && typeof g.openStream !== 'function') {
    throw new ParamError('module', `the guardrail from ${file} has neither checkInput nor checkOutput (nor openStream)`)
  }
  // the configured name wins, so records and headers match the config
  return Object.assign(Object.create(Object.getPrototypeOf(g) as object | null) as Guardrail, g, { name: ctx.name })
}
