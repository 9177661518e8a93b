// A data dir for a gateway under test, with an initialised PGlite cluster
// copied from a template made once per PGlite version and machine: PGlite's
// initdb costs 4–8 s of CPU here (far more when several suites run side by
// side), a copy ~0.1 s. The gateway still runs its migrations at every start.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const PGLITE_VERSION = (JSON.parse(readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8')) as { version: string }).version
const INIT = fileURLToPath(new URL('../../src/store/pglite-init.ts', import.meta.url))

/**
 * The template: a cluster right after initdb (no tables). Made in a private
 * folder by the same initdb the gateway runs, then renamed into place, so test
 * processes starting side by side never see half of one.
 */
function pgTemplate(): string {
  const final = join(tmpdir(), `portcullis-pglite-template-${PGLITE_VERSION}`)
  if (existsSync(join(final, 'pgdata', 'PG_VERSION'))) return final
  const work = mkdtempSync(join(tmpdir(), 'portcullis-pglite-making-'))
  const made = spawnSync(process.execPath, [INIT, join(work, 'pgdata')], { encoding: 'utf8', timeout: 300_000 })
  if (made.status !== 0) throw new Error(`initdb for the test template failed: ${made.stderr || made.error?.message}`)
  try {
    renameSync(work, final)
  } catch {
    // another test process made it first
    rmSync(work, { recursive: true, force: true })
  }
  return final
}

/** A new data dir (remove it with `removeDir`); `initialised` puts a freshly initdb'd PGlite cluster in it (else the gateway makes one at its first start). */
export function freshDataDir(initialised = true, prefix = 'portcullis-data-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  if (initialised) cpSync(join(pgTemplate(), 'pgdata'), join(dir, 'pgdata'), { recursive: true })
  return dir
}

export const removeDir = (dir: string): void => rmSync(dir, { recursive: true, force: true })
