// How the bench's own servers (fake upstream, bare proxy) run: long keep-alive
// (the load generator holds its connections), `listening on URL` on stdout for
// the bench to read, and a prompt exit on SIGTERM / SIGINT.
import type { Server } from 'node:http'

export function listen(server: Server, host: string, port: number, onStop: () => void = () => {}): void {
  server.keepAliveTimeout = 60_000
  server.headersTimeout = 65_000
  server.listen(port, host, () => {
    const addr = server.address()
    process.stdout.write(`listening on http://${host}:${typeof addr === 'object' && addr ? addr.port : 0}\n`)
  })
  const stop = (): void => {
    server.close()
    server.closeAllConnections()
    onStop()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
