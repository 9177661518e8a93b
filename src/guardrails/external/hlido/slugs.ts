// Trust subjects (Hlido agent slugs): where they may come from, what a valid
// one looks like, and the only path a lookup may go to. A slug is checked
// against a strict pattern, percent-encoded, and the built URL's path is
// compared with `/v1/agents/<slug>`: anything else never reaches the wire.
import { isObject } from '../../../json.ts'

const SLUG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

/** Why `slug` is not a valid Hlido slug, or undefined when it is. */
export function slugProblem(slug: unknown): string | undefined {
  if (typeof slug !== 'string') return `a slug must be a string, not ${slug === null ? 'null' : Array.isArray(slug) ? 'an array' : typeof slug}`
  if (slug === '.' || slug === '..') return `slug ${show(slug)} is a path segment, not an agent`
  if (slug.length > 128) return `slug ${show(slug)} is longer than 128 characters`
  if (!SLUG.test(slug)) return `slug ${show(slug)} may only hold letters, digits, '.', '_' and '-' and must start with a letter or digit`
  return undefined
}

/** A slug for a message: JSON-quoted, cut short (it may come from a client). */
export function show(slug: string): string {
  return JSON.stringify(slug.length > 40 ? slug.slice(0, 40) + '…' : slug)
}

/**
 * The request path of `slug`'s lookup, relative to the api_base (whose own path
 * prefix the service client puts in front). Throws unless the URL built from it
 * has exactly the path `<prefix>/v1/agents/<slug>`, no query and no fragment.
 */
export function agentPath(apiBase: string, slug: string): string {
  const problem = slugProblem(slug)
  if (problem) throw new Error(problem)
  const encoded = encodeURIComponent(slug)
  const base = new URL(apiBase)
  const prefix = base.pathname.replace(/\/+$/, '')
  const path = `/v1/agents/${encoded}`
  const url = new URL(prefix + path, base.origin)
  if (url.origin !== base.origin || url.pathname !== prefix + path || url.search !== '' || url.hash !== '') {
    throw new Error(`slug ${show(slug)} does not make a plain agent path`)
  }
  return path
}

/** A list of slugs as configured or sent: one string or an array of strings. */
export type SlugList = { slugs: string[] } | { problem: string }

/** How many entries a slug list holds, before any is checked (to bound the work a client can ask for). */
export function slugCount(value: unknown): number {
  return value === undefined || value === null ? 0 : Array.isArray(value) ? value.length : 1
}

export function slugList(value: unknown, where: string): SlugList {
  if (value === undefined || value === null) return { slugs: [] }
  if (!Array.isArray(value) && typeof value !== 'string') return { problem: `${where} must be a slug or a list of slugs` }
  const items: readonly unknown[] = typeof value === 'string' ? [value] : value
  const slugs: string[] = []
  for (const item of items) {
    const problem = slugProblem(item)
    if (problem) return { problem: `${where}: ${problem}` }
    slugs.push(item as string)
  }
  return { slugs }
}


/**
 * The slugs the server-trusted caller data names: `hlido_slugs` at its top
 * level or in its `metadata` (a virtual key's metadata), both counted.
 */
export function callerSlugs(caller: Readonly<Record<string, unknown>>): SlugList {
  const top = slugList(caller.hlido_slugs, "the key's hlido_slugs")
  if ('problem' in top) return top
  const meta = isObject(caller.metadata) ? slugList(caller.metadata.hlido_slugs, "the key's metadata.hlido_slugs") : { slugs: [] }
  if ('problem' in meta) return meta
  return { slugs: [...top.slugs, ...meta.slugs] }
}
