// pino JSON logs. Prompts, answers and secrets are never passed to the logger:
// callers log ids, names, statuses and timings only. The redact list is a
// second line of defence for header objects that might be logged by mistake.
import { pino, type Logger, type DestinationStream } from 'pino'

export type { Logger }

export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: undefined,
      redact: {
        paths: ['authorization', 'headers.authorization', 'headers["x-api-key"]', 'headers["api-key"]', 'api_key', 'apiKey', 'master_key'],
        censor: '[redacted]',
      },
    },
    opts.destination,
  )
}
