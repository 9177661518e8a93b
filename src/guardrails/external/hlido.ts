// `hlido` (alias `agent_trust`): refuses calls made for third-party AI agents
// whose independently tested trust score (the Hlido agent-trust API,
// GET {api_base}/v1/agents/{slug}) is below the bar — a minimum score and/or
// allowed tiers.
//
// Who the call is for (the trust subjects) comes from the server: the
// guardrail's `slugs` and the caller's key metadata `hlido_slugs`. A request's
// own `metadata.hlido_slugs` counts only with `trust_request_slugs: true`, and
// then at most `max_request_slugs` of them. Every slug is checked against a
// strict pattern and its lookup path asserted before anything goes on the wire.
// Lookups go through a bounded TTL cache whose concurrent misses for one slug
// make one call. Service failures are ServiceErrors; the engine applies
// `on_error` (fail closed by default).
import { z } from 'zod'
import { ParamError, type GuardrailFactory, type GuardrailType } from '../factory.ts'
import type { GuardContext, Guardrail, GuardrailMode, Verdict } from '../types.ts'
import { createHash } from 'node:crypto'
import { sharedCache, type AgentRecord, type Lookup, type TrustCache } from './hlido/cache.ts'
import { parseHlidoParams, tierOf } from './hlido/params.ts'
import { agentPath, callerSlugs, show, slugCount, slugList } from './hlido/slugs.ts'
import { mapLimit } from './map-limit.ts'
import { ServiceClient, ServiceError, checkApiBase } from './service.ts'

export const DEFAULT_API_BASE = 'https://hlido.eu'

/** The part of a 200 answer the guardrail relies on; anything else is ignored. */
const AgentAnswer = z.object({
  slug: z.string().min(1).max(128),
  name: z.string().max(200).nullish(),
  score: z.number().min(0).max(100),
  tier: z.string().min(1).max(32).nullish(),
  evidence_url: z
    .string()
    .max(2048)
    .regex(/^https?:\/\/\S+$/, 'not an http(s) URL')
    .nullish(),
})

const NEVER = new AbortController().signal

interface Failing {
  slug: string
  text: string
  score?: number
  tier?: string
  evidence_url?: string
}

type Outcome = { slug: string; lookup: Lookup } | { slug: string; error: unknown }

export const createHlido: GuardrailFactory = (params, ctx) => {
  const p = parseHlidoParams(params)
  const name = ctx.name
  const modes = (Array.isArray(params.mode) ? params.mode : [params.mode]) as GuardrailMode[]
  if (modes.includes('post_call')) {
    throw new ParamError('mode', 'mode: hlido checks whom a call is for, before or beside the model call; post_call would never run it (use pre_call, during_call or logging_only)')
  }
  const apiBase = checkApiBase(p.api_base ?? DEFAULT_API_BASE, 'api_base', (m) => ctx.warn?.('api_base', m))
  const base = new URL(apiBase)
  if (base.search !== '' || base.hash !== '') throw new ParamError('api_base', 'api_base: must not carry a query or a fragment')

  const configured = slugList(p.slugs, 'slugs')
  if ('problem' in configured) throw new ParamError('slugs', configured.problem)
  for (const slug of configured.slugs) {
    try {
      agentPath(apiBase, slug)
    } catch (err) {
      throw new ParamError('slugs', `slugs: ${(err as Error).message}`)
    }
  }

  const minScore = p.min_score ?? (p.allowed_tiers === undefined ? 60 : undefined)
  const allowedTiers = p.allowed_tiers ? new Set<string>(p.allowed_tiers) : undefined
  const client = new ServiceClient({
    name,
    apiBase,
    timeoutMs: (p.timeout ?? 3) * 1000,
    headers: p.api_key ? { authorization: `Bearer ${p.api_key}` } : {},
  })

  const load = async (slug: string): Promise<Lookup> => {
    // the shared load is bounded by the client's timeout, not by one caller's signal
    const answer = await client.get(agentPath(apiBase, slug), AgentAnswer, NEVER, [404])
    if (answer.status === 404) return { kind: 'unverified' }
    const a = answer.body
    if (!a) throw new ServiceError('invalid_shape', `${name}: empty answer for agent ${show(slug)}`)
    if (a.slug.toLowerCase() !== slug.toLowerCase()) {
      throw new ServiceError('invalid_shape', `${name}: asked for agent ${show(slug)}, the service answered for ${show(a.slug)}`)
    }
    const agent: AgentRecord = { slug: a.slug, score: a.score }
    if (a.tier) agent.tier = a.tier.toUpperCase()
    if (a.name) agent.name = a.name
    if (a.evidence_url) agent.evidence_url = a.evidence_url
    return { kind: 'found', agent }
  }
  // with REDIS_URL set, instances share their lookups (a slug one looked up is not looked up by the others)
  const cache: TrustCache = sharedCache({
    max: p.cache_size,
    ttlMs: p.cache_ttl * 1000,
    load,
    namespace: `hlido:${createHash('sha256').update(apiBase).digest('hex').slice(0, 16)}`,
    store: ctx.shared?.cache('trust_cache'),
  })

  /** What fails the bar about `agent`, or undefined when it passes. */
  const judge = (slug: string, agent: AgentRecord): Failing | undefined => {
    const tier = agent.tier ?? tierOf(agent.score)
    const why: string[] = []
    if (minScore !== undefined && agent.score < minScore) why.push(`below the minimum score ${minScore}`)
    if (allowedTiers && !allowedTiers.has(tier)) why.push(`tier ${tier} is not among the allowed tiers ${[...allowedTiers].join(', ')}`)
    if (why.length === 0) return undefined
    const tierText = agent.tier ? tier : `${tier}, from the score`
    return {
      slug,
      text: `agent ${show(slug)} scores ${agent.score} (tier ${tierText}), ${why.join(' and ')}; evidence: ${agent.evidence_url ?? 'none given'}`,
      score: agent.score,
      tier,
      ...(agent.evidence_url ? { evidence_url: agent.evidence_url } : {}),
    }
  }

  /** The slugs this call is for, or the block that refuses to look any up. */
  const subjectsOf = (ctx: GuardContext): { slugs: string[] } | { block: Verdict } => {
    const fromCaller = callerSlugs(ctx.caller)
    if ('problem' in fromCaller) return { block: invalid(fromCaller.problem) }
    let fromRequest: string[] = []
    if (p.trust_request_slugs) {
      const raw = ctx.requestMetadata.hlido_slugs
      const n = slugCount(raw)
      if (n > p.max_request_slugs) {
        return {
          block: {
            action: 'block',
            reason: `the request names ${n} agents in metadata.hlido_slugs; at most ${p.max_request_slugs} are checked per request`,
            code: 'too_many_subjects',
            details: { code: 'too_many_subjects', count: n, max: p.max_request_slugs },
          },
        }
      }
      const list = slugList(raw, 'metadata.hlido_slugs')
      if ('problem' in list) return { block: invalid(list.problem) }
      fromRequest = list.slugs
    }
    return { slugs: [...new Set([...configured.slugs, ...fromCaller.slugs, ...fromRequest])] }
  }

  const missing = (ctx: GuardContext): Verdict => {
    const ignored = !p.trust_request_slugs && slugCount(ctx.requestMetadata.hlido_slugs) > 0
    const why = `no trusted subject: neither the guardrail's slugs nor the key's hlido_slugs name an agent${
      ignored ? " (the request's metadata.hlido_slugs is not trusted: trust_request_slugs is off)" : ''
    }`
    if (p.on_missing_subject === 'allow') return { action: 'flag', reason: why }
    return { action: 'block', reason: why, code: 'missing_subject', details: { code: 'missing_subject' } }
  }

  const guardrail: Guardrail = {
    name,
    async checkInput(_texts, ctx): Promise<Verdict> {
      const subjects = subjectsOf(ctx)
      if ('block' in subjects) return subjects.block
      if (subjects.slugs.length === 0) return missing(ctx)
      const outcomes = await untilAborted(
        mapLimit(
          subjects.slugs,
          p.max_request_slugs,
          (slug) =>
            cache.get(slug).then(
              (lookup): Outcome => ({ slug, lookup }),
              (error: unknown): Outcome => ({ slug, error }),
            ),
          ctx.signal,
        ),
        ctx.signal,
      )
      const failing: Failing[] = []
      const unverified: string[] = []
      let error: { slug: string; error: unknown } | undefined
      for (const o of outcomes) {
        if ('error' in o) {
          error ??= o
        } else if (o.lookup.kind === 'unverified') {
          unverified.push(o.slug)
          if (p.on_unverified === 'block') failing.push({ slug: o.slug, text: `agent ${show(o.slug)} has no Hlido review (unverified)` })
        } else {
          const f = judge(o.slug, o.lookup.agent)
          if (f) failing.push(f)
        }
      }
      // a definite "no" stands whatever else failed to answer
      if (failing.length > 0) {
        const onlyUnverified = failing.every((f) => f.score === undefined)
        const code = onlyUnverified ? 'unverified_agent' : 'untrusted_agent'
        const reason =
          failing.length === 1
            ? `Hlido trust check failed: ${failing[0]?.text}`
            : `Hlido trust check failed for ${failing.length} agents: ${failing.map((f) => f.text).join('; ')}`
        return { action: 'block', reason, code, details: { code, agents: failing.map(({ text: _, ...f }) => f) } }
      }
      if (error) throw lookupError(error.slug, error.error)
      if (unverified.length > 0) {
        return { action: 'flag', reason: `allowed unverified agent(s) with no Hlido review: ${unverified.map(show).join(', ')}` }
      }
      return { action: 'allow' }
    },
    async close() {
      cache.clear()
      await client.close()
    },
  }
  return guardrail
}

/** hlido reads the trust subjects of a call from `metadata.hlido_slugs`: they are not the upstream's business. */
export const hlidoType: GuardrailType = { create: createHlido, requestFields: ['hlido_slugs'] }

function invalid(problem: string): Verdict {
  return { action: 'block', reason: `invalid trust subject: ${problem}`, code: 'invalid_subject', details: { code: 'invalid_subject' } }
}

/** A failed lookup, named for its slug and keeping its kind (the engine's error label). */
function lookupError(slug: string, err: unknown): Error {
  if (err instanceof ServiceError) return new ServiceError(err.kind, `lookup of agent ${show(slug)}: ${err.message}`, err.status)
  return err instanceof Error ? err : new Error(String(err))
}


/** `p`, or a rejection as soon as `signal` aborts (the shared lookup goes on for the other callers). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new ServiceError('timeout', 'trust check abandoned'))
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new ServiceError('timeout', 'trust check abandoned'))
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(e instanceof Error ? e : new Error(String(e)))
      },
    )
  })
}
