// The process environment Portcullis reads besides the config file's
// os.environ/… references. Read here, once, at start: the rest of the code gets
// these values handed down and never looks at process.env itself.

export interface Environment {
  /** HOST and PORT: where `serve` listens unless --host / --port say otherwise */
  host: string | undefined
  port: string | undefined
  /** LOG_LEVEL (default info) */
  logLevel: string
  /** PORTCULLIS_DATA_DIR: the journal and the embedded database (default ./.portcullis) */
  dataDir: string
  /** DATABASE_URL: PostgreSQL, when general_settings.database_url is not set */
  databaseUrl: string | undefined
  /** REDIS_URL: state shared between instances */
  redisUrl: string | undefined
  /** PORTCULLIS_REDIS_TIMEOUT_MS: the bound of every Redis command (undefined: the default) */
  redisTimeoutMs: number | undefined
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const timeout = Number(env.PORTCULLIS_REDIS_TIMEOUT_MS)
  return {
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL ?? 'info',
    dataDir: env.PORTCULLIS_DATA_DIR ?? './.portcullis',
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL?.trim() || undefined,
    redisTimeoutMs: timeout > 0 ? timeout : undefined,
  }
}
