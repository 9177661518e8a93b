// `blocked_words_file`: LiteLLM's YAML (`blocked_words: [{keyword, action,
// description}]`), the same list as YAML or JSON, or plain text with one
// keyword per line (`#` comments). Relative paths resolve against the
// config file's folder.
import { readFile, stat } from 'node:fs/promises'
import { isAbsolute, resolve } from 'node:path'
import { parse } from 'yaml'
import { ParamError } from '../../factory.ts'
import type { Keyword } from './user-patterns.ts'
import { isObject } from '../../../json.ts'

const KEY = 'blocked_words_file'
const MAX_BYTES = 16 * 1024 * 1024

export async function loadKeywordFile(path: string, configDir: string, defaultBlock: boolean): Promise<Keyword[]> {
  const file = isAbsolute(path) ? path : resolve(configDir, path)
  let text: string
  try {
    const st = await stat(file)
    if (!st.isFile()) throw new ParamError(KEY, `${file} is not a file`)
    if (st.size > MAX_BYTES) throw new ParamError(KEY, `${file} is larger than ${MAX_BYTES / 1024 / 1024} MB`)
    text = await readFile(file, 'utf8')
  } catch (err) {
    if (err instanceof ParamError) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw new ParamError(KEY, code === 'ENOENT' ? `${file} does not exist` : `${file} could not be read: ${(err as Error).message}`)
  }
  const structured = /\.(?:ya?ml|json)$/i.test(file) || /^\s*(?:blocked_words\s*:|-\s|\[|\{)/.test(stripComments(text))
  if (!structured) {
    return text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((keyword) => ({ keyword, block: defaultBlock }))
  }
  let data: unknown
  try {
    data = parse(text)
  } catch (err) {
    throw new ParamError(KEY, `${file} is not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`)
  }
  const list = Array.isArray(data) ? data : isObject(data) && Array.isArray(data.blocked_words) ? data.blocked_words : undefined
  if (!list) throw new ParamError(KEY, `${file} must hold a list of keywords or \`blocked_words: [{keyword, action}]\``)
  return list.map((entry, i) => keywordOf(entry, `${file}: entry ${i + 1}`, defaultBlock))
}

/** One `blocked_words` entry: a string, or `{keyword, action?: MASK|BLOCK, description?}`. */
export function keywordOf(entry: unknown, where: string, defaultBlock: boolean, key = KEY): Keyword {
  if (typeof entry === 'string' && entry.trim() !== '') return { keyword: entry, block: defaultBlock }
  if (!isObject(entry) || typeof entry.keyword !== 'string' || entry.keyword.trim() === '') {
    throw new ParamError(key, `${where}: expected a keyword string or {keyword, action}`)
  }
  const action = entry.action === undefined ? undefined : String(entry.action).toLowerCase()
  if (action !== undefined && action !== 'mask' && action !== 'block') throw new ParamError(key, `${where}: action must be MASK or BLOCK, got ${JSON.stringify(entry.action)}`)
  return {
    keyword: entry.keyword,
    block: action === undefined ? defaultBlock : action === 'block',
    ...(typeof entry.description === 'string' ? { description: entry.description } : {}),
  }
}

function stripComments(text: string): string {
  return text.replace(/^\s*#.*$/gm, '')
}

