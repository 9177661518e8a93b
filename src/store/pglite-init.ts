// Creates an embedded database (PGlite's initdb) in the directory given as the
// only argument, then exits. db.ts runs it as a child process on first start:
// initdb leaves some 450 MB behind in the heap that ran it, which a process
// that ends returns to the system and a long-lived gateway would keep.
import { PGlite } from '@electric-sql/pglite'
import { PGLITE_CONF } from './pglite-conf.ts'

const dir = process.argv[2]
if (!dir) {
  process.stderr.write('usage: pglite-init.ts DIR\n')
  process.exit(2)
}
const pg = await PGlite.create(dir, { postgresqlconf: PGLITE_CONF })
await pg.close()
