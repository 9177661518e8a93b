// The entity kinds the built-in detectors find, their category, and the
// LiteLLM prebuilt pattern names that map onto them.

export type Category = 'pii' | 'credentials'

export const CATEGORIES: readonly Category[] = ['pii', 'credentials']

interface EntityInfo {
  category: Category
  /** when detections overlap, the merged span is labelled with the highest */
  priority: number
}

export const ENTITIES = {
  // pii
  email: { category: 'pii', priority: 30 },
  phone_number: { category: 'pii', priority: 20 },
  credit_card: { category: 'pii', priority: 40 },
  iban: { category: 'pii', priority: 40 },
  us_ssn: { category: 'pii', priority: 40 },
  uk_nino: { category: 'pii', priority: 30 },
  ip_address: { category: 'pii', priority: 10 },
  // credentials
  aws_access_key: { category: 'credentials', priority: 90 },
  aws_secret_key: { category: 'credentials', priority: 90 },
  github_token: { category: 'credentials', priority: 90 },
  gitlab_token: { category: 'credentials', priority: 90 },
  slack_token: { category: 'credentials', priority: 90 },
  slack_webhook: { category: 'credentials', priority: 90 },
  openai_key: { category: 'credentials', priority: 90 },
  anthropic_key: { category: 'credentials', priority: 95 },
  stripe_key: { category: 'credentials', priority: 90 },
  google_api_key: { category: 'credentials', priority: 90 },
  npm_token: { category: 'credentials', priority: 90 },
  huggingface_token: { category: 'credentials', priority: 90 },
  jwt: { category: 'credentials', priority: 85 },
  private_key: { category: 'credentials', priority: 100 },
  bearer_token: { category: 'credentials', priority: 70 },
  url_password: { category: 'credentials', priority: 70 },
  password: { category: 'credentials', priority: 60 },
  generic_secret: { category: 'credentials', priority: 60 },
} as const satisfies Record<string, EntityInfo>

export type EntityName = keyof typeof ENTITIES

export const ENTITY_NAMES = Object.keys(ENTITIES) as EntityName[]

export function isEntity(name: string): name is EntityName {
  return Object.hasOwn(ENTITIES, name)
}

export function entitiesOf(category: Category): EntityName[] {
  return ENTITY_NAMES.filter((e) => ENTITIES[e].category === category)
}

/** LiteLLM prebuilt `pattern_name`s (and common spellings) → our entity. Our own names are accepted too. */
const PREBUILT_ALIASES: Readonly<Record<string, EntityName>> = {
  us_ssn_no_dash: 'us_ssn',
  ssn: 'us_ssn',
  email_address: 'email',
  phone: 'phone_number',
  us_phone: 'phone_number',
  fr_phone: 'phone_number',
  uk_phone: 'phone_number',
  visa: 'credit_card',
  mastercard: 'credit_card',
  amex: 'credit_card',
  discover: 'credit_card',
  payment_card: 'credit_card',
  eu_iban_enhanced: 'iban',
  iban_code: 'iban',
  ipv4: 'ip_address',
  ipv6: 'ip_address',
  ip: 'ip_address',
  nino: 'uk_nino',
  uk_national_insurance_number: 'uk_nino',
  generic_api_key: 'generic_secret',
  api_key: 'generic_secret',
  secret: 'generic_secret',
  anthropic_api_key: 'anthropic_key',
  openai_api_key: 'openai_key',
  stripe_api_key: 'stripe_key',
  google_api: 'google_api_key',
  gitlab_pat: 'gitlab_token',
  github_pat: 'github_token',
  hf_token: 'huggingface_token',
  json_web_token: 'jwt',
  pem_private_key: 'private_key',
  rsa_private_key: 'private_key',
}

/** The entity a prebuilt pattern name stands for, or undefined. */
export function prebuiltEntity(name: string): EntityName | undefined {
  const n = name.trim().toLowerCase()
  if (isEntity(n)) return n
  return PREBUILT_ALIASES[n]
}

export const PREBUILT_NAMES: readonly string[] = [...ENTITY_NAMES, ...Object.keys(PREBUILT_ALIASES)].sort()
