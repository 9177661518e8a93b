// portcullis serve | check — the command line. Plain messages go to stderr,
// except the `listening on …` line that scripts wait for, which goes to stdout.
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { createApp } from './app.ts'
import { readEnvironment } from './config/environment.ts'
import { ConfigError, formatIssue, loadConfigFile, type ConfigIssue } from './config/load.ts'
import { loadCases, type EvalCase } from './eval/cases.ts'
import { formatScores, progress } from './eval/report.ts'
import { evaluate } from './eval/run.ts'
import { buildGuardrails } from './guardrails/build.ts'
import type { GuardrailSpec } from './guardrails/spec.ts'

const USAGE = `Usage:
  portcullis serve [--config FILE] [--host HOST] [--port PORT]
      Serve the gateway. FILE defaults to ./portcullis.yaml; HOST and PORT default
      to $HOST and $PORT, else 127.0.0.1 and 4000. Prints "listening on http://HOST:PORT"
      once requests are accepted. SIGTERM drains in-flight requests, then exits 0.
  portcullis check --config FILE
      Validate a config: every error with its YAML path and line (exit 1), and a
      warning for every key Portcullis does not support.
  portcullis eval --config FILE --cases CASES.jsonl [--cases MORE.jsonl] [--guardrail NAME] [--json]
      Run the configured guardrails offline over labelled cases
      ({"text": …, "expect": "block"|"allow"|"mask", "guardrail"?: …} per line) and print
      per guardrail precision, recall, F1, the misses, and p50/p99 latency.
  portcullis --help`

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE + '\n')
    return command === undefined ? 1 : 0
  }
  let args: { values: { config?: string; host?: string; port?: string; help?: boolean; cases?: string[]; guardrail?: string; json?: boolean } }
  try {
    args = parseArgs({
      args: rest,
      options: {
        config: { type: 'string', short: 'c' },
        host: { type: 'string' },
        port: { type: 'string', short: 'p' },
        help: { type: 'boolean', short: 'h' },
        cases: { type: 'string', multiple: true },
        guardrail: { type: 'string', short: 'g' },
        json: { type: 'boolean' },
      },
      strict: true,
    })
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`)
    return 2
  }
  if (args.values.help) {
    process.stdout.write(USAGE + '\n')
    return 0
  }
  switch (command) {
    case 'serve':
      return serve(args.values)
    case 'check':
      return check(args.values.config)
    case 'eval':
      return evalCommand(args.values)
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}\n`)
      return 2
  }
}

/**
 * Runs `fn`; a ConfigError is printed (every issue with its path and line, then
 * `summary`) and gives undefined, for the command to exit 1. Anything else is thrown.
 */
async function reportingConfigErrors<T>(fn: () => Promise<T>, summary?: (count: number) => string): Promise<T | undefined> {
  try {
    return await fn()
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    for (const i of err.issues) process.stderr.write(`error: ${formatIssue(i)}\n`)
    if (summary) process.stderr.write(`${summary(err.issues.length)}\n`)
    return undefined
  }
}

function printWarnings(warnings: readonly ConfigIssue[]): void {
  for (const w of warnings) process.stderr.write(`warning: ${formatIssue(w)}\n`)
}

async function check(file: string | undefined): Promise<number> {
  if (!file) {
    process.stderr.write('check needs --config FILE\n')
    return 2
  }
  const ok = await reportingConfigErrors(async () => {
    const { config, warnings, lineOf } = await loadConfigFile(file)
    printWarnings(warnings)
    // guardrails are built too: a custom module that does not load is an error here, not at start
    const guardrailWarnings: ConfigIssue[] = []
    const specs = await buildGuardrails(config, lineOf, guardrailWarnings)
    printWarnings(guardrailWarnings)
    warnings.push(...guardrailWarnings)
    await Promise.allSettled(specs.map((s) => s.guardrail.close?.()))
    const groups = new Set(config.deployments.map((d) => d.modelName)).size
    process.stdout.write(
      `${file}: OK — ${groups} model(s), ${config.deployments.length} deployment(s), ${config.guardrails.length} guardrail(s)` +
        `${warnings.length ? `, ${warnings.length} warning(s)` : ''}\n`,
    )
    return true
  }, (n) => `${file}: ${n} error(s)`)
  return ok ? 0 : 1
}

async function evalCommand(opts: { config?: string; cases?: string[]; guardrail?: string; json?: boolean }): Promise<number> {
  if (!opts.config || !opts.cases?.length) {
    process.stderr.write('eval needs --config FILE and --cases CASES.jsonl\n')
    return 2
  }
  const file = opts.config
  const specs: GuardrailSpec[] | undefined = await reportingConfigErrors(async () => {
    const { config, lineOf } = await loadConfigFile(file)
    return buildGuardrails(config, lineOf)
  })
  if (!specs) return 1
  const chosen = opts.guardrail ? specs.filter((s) => s.name === opts.guardrail) : specs
  if (chosen.length === 0) {
    process.stderr.write(opts.guardrail ? `no guardrail named "${opts.guardrail}" in ${opts.config}\n` : `${opts.config} configures no guardrails\n`)
    return 1
  }
  let cases: EvalCase[]
  try {
    cases = await loadCases(opts.cases)
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`)
    return 1
  }
  const scores = []
  for (const spec of chosen) scores.push(await evaluate(spec, cases, opts.json ? undefined : progress(spec.name)))
  await Promise.allSettled(specs.map((s) => s.guardrail.close?.()))
  process.stdout.write(opts.json ? JSON.stringify({ guardrails: scores }, null, 2) + '\n' : formatScores(scores) + '\n')
  return 0
}

async function serve(opts: { config?: string; host?: string; port?: string }): Promise<number> {
  const file = opts.config ?? 'portcullis.yaml'
  if (!opts.config && !existsSync(file)) {
    process.stderr.write(`no --config given and no ./portcullis.yaml here\n\n${USAGE}\n`)
    return 2
  }
  const env = readEnvironment()
  const host = opts.host ?? env.host ?? '127.0.0.1'
  const portText = opts.port ?? env.port ?? '4000'
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port > 65535) {
    process.stderr.write(`invalid port "${portText}"\n`)
    return 2
  }
  const notStarted = (n: number): string => `${file}: not started (${n} config error(s))`
  const loaded = await reportingConfigErrors(() => loadConfigFile(file), notStarted)
  if (!loaded) return 1
  printWarnings(loaded.warnings)
  const { config } = loaded
  if (!config.general.masterKey) {
    if (!LOOPBACK.test(host)) {
      process.stderr.write(
        `refusing to listen on ${host} without a master key: anyone who can reach it could use it.\n` +
          'Set general_settings.master_key (e.g. master_key: os.environ/PORTCULLIS_MASTER_KEY), or bind 127.0.0.1.\n',
      )
      return 1
    }
    process.stderr.write('warning: no master_key is set, so the gateway is open (no auth); it listens on loopback only.\n')
  }

  const server = await reportingConfigErrors(() => createApp(config, { lineOf: loaded.lineOf, env }), notStarted)
  if (!server) return 1
  let url: string
  try {
    url = await server.listen(host, port)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    process.stderr.write(`cannot listen on ${host}:${port}: ${e.code ?? e.message}\n`)
    return 1
  }
  process.stdout.write(`listening on ${url}\n`)

  return new Promise<number>((resolve) => {
    let stopping = false
    const stop = (signal: string): void => {
      if (stopping) {
        process.stderr.write(`${signal} again: exiting now\n`)
        resolve(1)
        return
      }
      stopping = true
      server.logger.info({ signal }, 'shutting down: draining in-flight requests')
      server.shutdown().then(
        () => {
          server.logger.info('stopped')
          resolve(0)
        },
        (err: unknown) => {
          server.logger.error({ err }, 'shutdown failed')
          resolve(1)
        },
      )
    }
    process.on('SIGTERM', () => stop('SIGTERM'))
    process.on('SIGINT', () => stop('SIGINT'))
  })
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
    // Anything left (keep-alive timers of upstream pools) must not hold the process.
    if (code !== 0 || process.argv[2] === 'serve') setImmediate(() => process.exit(code))
  },
  (err: unknown) => {
    process.stderr.write(`portcullis: ${(err as Error).stack ?? String(err)}\n`)
    process.exit(1)
  },
)
