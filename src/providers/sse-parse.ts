// Incremental Server-Sent Events parser for upstream streams (OpenAI and
// Anthropic both speak it). Yields one record per event; handles CRLF, events
// split across network chunks, multi-line data and UTF-8 split mid-character.

export interface SseEvent {
  event: string | undefined
  data: string
}

export async function* parseSse(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder()
  let buffer = ''
  let event: string | undefined
  let data: string[] = []
  for await (const chunk of body) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
    let start = 0
    for (;;) {
      const nl = buffer.indexOf('\n', start)
      if (nl === -1) break
      let line = buffer.slice(start, nl)
      start = nl + 1
      if (line.endsWith('\r')) line = line.slice(0, -1)
      if (line === '') {
        if (data.length > 0) yield { event, data: data.join('\n') }
        event = undefined
        data = []
        continue
      }
      if (line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon === -1 ? line : line.slice(0, colon)
      let value = colon === -1 ? '' : line.slice(colon + 1)
      if (value.startsWith(' ')) value = value.slice(1)
      if (field === 'data') data.push(value)
      else if (field === 'event') event = value
    }
    buffer = buffer.slice(start)
  }
  buffer += decoder.decode()
  const last = buffer.replace(/\r$/, '')
  if (last.startsWith('data:')) data.push(last.slice(5).replace(/^ /, ''))
  if (data.length > 0) yield { event, data: data.join('\n') }
}
