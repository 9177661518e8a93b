// The yardstick: the least a JSON-aware Node proxy can do. node:http in, the
// body JSON.parse'd and JSON.stringify'd (a gateway must at least read the
// call), an undici Pool to the upstream (keep-alive, the gateway's connection
// cap), and the answer returned (JSON: whole, in one write; streams: each chunk
// forwarded as it arrives). No routing, no
// auth, no logs, no metrics.
//   node bench/bare-proxy.ts --upstream http://127.0.0.1:P [--port P]
//   prints "listening on http://127.0.0.1:P"
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'
import { listen } from './listen.ts'
import { Pool } from 'undici'

const { values } = parseArgs({
  options: {
    upstream: { type: 'string' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
})
if (!values.upstream) {
  process.stderr.write('bare-proxy needs --upstream http://HOST:PORT\n')
  process.exit(2)
}

const pool = new Pool(values.upstream, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 })

const server = createServer((req, res) => {
  const parts: Buffer[] = []
  req.on('data', (c: Buffer) => parts.push(c))
  req.on('end', () => {
    let body: unknown
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8'))
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end('{"error":{"message":"body is not JSON","type":"invalid_request_error"}}')
      return
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    const auth = req.headers.authorization
    if (auth) headers.authorization = auth
    pool
      .request({ path: req.url ?? '/', method: 'POST', headers, body: JSON.stringify(body) })
      .then(async (up) => {
        const type = up.headers['content-type']
        const out: Record<string, string> = { 'content-type': typeof type === 'string' ? type : 'application/json' }
        if (out['content-type']!.startsWith('text/event-stream')) {
          // a stream: each chunk forwarded as it arrives
          res.writeHead(up.statusCode, out)
          for await (const chunk of up.body) res.write(chunk)
          res.end()
          return
        }
        // JSON: one write of the whole answer (stream.pipeline costs this proxy a third of its throughput)
        const answer = Buffer.from(await up.body.arrayBuffer())
        out['content-length'] = String(answer.length)
        res.writeHead(up.statusCode, out)
        res.end(answer)
      })
      .catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ error: { message: `upstream: ${(err as Error).message}`, type: 'api_error' } }))
        } else res.destroy()
      })
  })
})
listen(server, values.host, Number(values.port), () => void pool.destroy())
