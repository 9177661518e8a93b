// Which `litellm_params.model` prefixes Portcullis serves, and how. LiteLLM names
// many OpenAI-compatible hosts by prefix; they all share the openai provider with
// the host's usual api_base, so a LiteLLM config keeps working unchanged.

export type ProviderKind = 'openai' | 'azure' | 'anthropic' | 'echo'

export interface ProviderInfo {
  kind: ProviderKind
  /** api_base used when the config gives none; undefined means api_base is required */
  defaultBase: string | undefined
}

const openaiLike = (defaultBase: string | undefined): ProviderInfo => ({ kind: 'openai', defaultBase })

export const PROVIDERS: Readonly<Record<string, ProviderInfo>> = {
  openai: openaiLike('https://api.openai.com/v1'),
  text_completion_openai: openaiLike('https://api.openai.com/v1'),
  azure: { kind: 'azure', defaultBase: undefined },
  anthropic: { kind: 'anthropic', defaultBase: 'https://api.anthropic.com' },
  echo: { kind: 'echo', defaultBase: 'builtin' },
  openai_like: openaiLike(undefined),
  custom_openai: openaiLike(undefined),
  hosted_vllm: openaiLike(undefined),
  lm_studio: openaiLike('http://localhost:1234/v1'),
  ollama: openaiLike('http://localhost:11434/v1'),
  ollama_chat: openaiLike('http://localhost:11434/v1'),
  openrouter: openaiLike('https://openrouter.ai/api/v1'),
  groq: openaiLike('https://api.groq.com/openai/v1'),
  deepseek: openaiLike('https://api.deepseek.com/v1'),
  together_ai: openaiLike('https://api.together.xyz/v1'),
  fireworks_ai: openaiLike('https://api.fireworks.ai/inference/v1'),
  mistral: openaiLike('https://api.mistral.ai/v1'),
  xai: openaiLike('https://api.x.ai/v1'),
  perplexity: openaiLike('https://api.perplexity.ai'),
}

export function splitModel(model: string): { prefix: string; name: string } {
  const slash = model.indexOf('/')
  return { prefix: model.slice(0, slash), name: model.slice(slash + 1) }
}
