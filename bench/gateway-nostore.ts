// Diagnostic only (npm run bench -- --nostore): the gateway exactly as `serve`
// builds it, but without storage (no call journal, no embedded PGlite), so the
// bench can tell what recording calls costs. Not a way to run Portcullis.
//   node bench/gateway-nostore.ts --config FILE   prints "listening on http://127.0.0.1:P"
import { parseArgs } from 'node:util'
import { loadConfigFile } from '../src/config/load.ts'
import { createApp } from '../src/app.ts'

const { values } = parseArgs({ options: { config: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '0' } } })
if (!values.config) {
  process.stderr.write('gateway-nostore needs --config FILE\n')
  process.exit(2)
}
const { config, lineOf } = await loadConfigFile(values.config)
const server = await createApp(config, { storage: false, lineOf })
const url = await server.listen(values.host, Number(values.port))
process.stdout.write(`listening on ${url}\n`)
const stop = (): void => {
  server.shutdown(2000).then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
