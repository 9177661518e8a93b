// The LiteLLM proxy config subset Portcullis accepts, as zod schemas. Objects
// strip unknown keys; the loader compares input and output to warn about every
// key it dropped instead of ignoring it silently.
import { z } from 'zod'

/** A number, or a numeric string (values read from `os.environ/…` are strings). */
const num = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v),
  z.number(),
)
const bool = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean())
const positive = num.pipe(z.number().positive())
const nonNegative = num.pipe(z.number().nonnegative())
const count = num.pipe(z.number().int().nonnegative())

export const ModelParamsSchema = z.object({
  model: z.string().regex(/^[A-Za-z0-9_.-]+\/.+$/, 'must be <provider>/<model>, e.g. openai/gpt-4o-mini or echo/echo'),
  api_base: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  api_key: z.string().optional(),
  api_version: z.string().optional(),
  organization: z.string().optional(),
  anthropic_version: z.string().optional(),
  timeout: positive.optional(),
  stream_timeout: positive.optional(),
  weight: nonNegative.optional(),
  rpm: count.optional(),
  tpm: count.optional(),
  input_cost_per_token: nonNegative.optional(),
  output_cost_per_token: nonNegative.optional(),
  extra_headers: z.record(z.string(), z.string()).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** echo only: stream fixed-width pieces of this many characters instead of words */
  chunk_size: num.pipe(z.number().int().positive()).optional(),
})

export const ModelEntrySchema = z.object({
  model_name: z.string().min(1),
  litellm_params: ModelParamsSchema,
  model_info: z.looseObject({ id: z.string().min(1).optional() }).optional(),
})

export const GuardrailModeSchema = z.enum(['pre_call', 'during_call', 'post_call', 'logging_only'])

export const GuardrailEntrySchema = z.object({
  guardrail_name: z.string().min(1),
  // every key besides these is the guardrail's own param, validated by its type
  litellm_params: z.looseObject({
    guardrail: z.string().min(1),
    mode: z.union([GuardrailModeSchema, z.array(GuardrailModeSchema).min(1)]),
    default_on: bool.optional(),
  }),
  guardrail_info: z.looseObject({}).optional(),
})

const FallbacksSchema = z.array(z.record(z.string(), z.union([z.string(), z.array(z.string())])))

export const RouterSettingsSchema = z.object({
  routing_strategy: z.string().optional(),
  num_retries: count.optional(),
  timeout: positive.optional(),
  retry_after: nonNegative.optional(),
  allowed_fails: count.optional(),
  cooldown_time: nonNegative.optional(),
  fallbacks: FallbacksSchema.optional(),
  max_retry_after: nonNegative.optional(),
})

export const LitellmSettingsSchema = z.object({
  fallbacks: FallbacksSchema.optional(),
  num_retries: count.optional(),
  request_timeout: positive.optional(),
})

export const GeneralSettingsSchema = z.object({
  master_key: z.string().min(8, 'must be at least 8 characters').optional(),
  database_url: z.string().optional(),
  max_request_size_mb: positive.optional(),
  /** Portcullis: seconds SIGTERM waits for in-flight requests and streams */
  shutdown_timeout: nonNegative.optional(),
  /** Portcullis: open connections per upstream origin */
  upstream_max_connections: num.pipe(z.number().int().positive()).optional(),
  /** Portcullis: characters of a streamed answer held back until post_call guardrails cleared them */
  guardrail_stream_window: num.pipe(z.number().int().min(16).max(65536)).optional(),
  /** Portcullis: logging_only checks that may wait; more are dropped and counted */
  guardrail_queue_size: num.pipe(z.number().int().positive()).optional(),
  /** keep prompts and answers in the call records (off by default) */
  store_prompts: bool.optional(),
  /** Portcullis: records that may wait for the database, in MB; past it new calls get 503 */
  journal_max_mb: positive.optional(),
})

export const ConfigSchema = z.object({
  model_list: z.array(ModelEntrySchema).min(1, 'needs at least one model'),
  guardrails: z.array(GuardrailEntrySchema).optional(),
  router_settings: RouterSettingsSchema.optional(),
  litellm_settings: LitellmSettingsSchema.optional(),
  general_settings: GeneralSettingsSchema.optional(),
  environment_variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
})

export type RawConfig = z.infer<typeof ConfigSchema>
export type ModelEntry = z.infer<typeof ModelEntrySchema>
export type GuardrailEntry = z.infer<typeof GuardrailEntrySchema>
export type GuardrailMode = z.infer<typeof GuardrailModeSchema>
