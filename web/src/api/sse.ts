// Server-Sent Events over a POST (EventSource only GETs): the text/event-stream parser, and a
// fetch that feeds it, with the session's CSRF header and an AbortSignal that ends the call
// (the server cancels the work when the connection closes).
import { ApiError, type Problem } from './problem'
import { sessionExpired, sessionHeaders } from './client'

export interface SseEvent {
  event: string
  data: string
  id?: string
}

/**
 * An incremental text/event-stream parser: `push` any chunks (split anywhere, even mid-line or
 * between `\r` and `\n`), `onEvent` gets each complete event; `end` flushes an event the stream
 * ended without a blank line after.
 */
export function createSseParser(onEvent: (e: SseEvent) => void) {
  let buffer = ''
  let event = ''
  let data: string[] = []
  let id: string | undefined
  let hasData = false

  function dispatch() {
    if (hasData) onEvent({ event: event || 'message', data: data.join('\n'), ...(id !== undefined ? { id } : {}) })
    event = ''
    data = []
    hasData = false
  }
  function line(text: string) {
    if (text === '') return dispatch()
    if (text.startsWith(':')) return
    const colon = text.indexOf(':')
    const field = colon < 0 ? text : text.slice(0, colon)
    let value = colon < 0 ? '' : text.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') event = value
    else if (field === 'data') {
      data.push(value)
      hasData = true
    } else if (field === 'id') id = value
  }
  function push(chunk: string) {
    buffer += chunk
    for (;;) {
      const m = /\r\n|\r|\n/.exec(buffer)
      if (!m) break
      // A `\r` at the very end may be the first half of `\r\n`: wait for the next chunk.
      if (m[0] === '\r' && m.index === buffer.length - 1) break
      line(buffer.slice(0, m.index))
      buffer = buffer.slice(m.index + m[0].length)
    }
  }
  function end() {
    if (buffer) {
      line(buffer.replace(/\r$/, ''))
      buffer = ''
    }
    dispatch()
  }
  return { push, end }
}

/** An event's data as JSON, or the text when it is not JSON. */
export function eventData(e: SseEvent): unknown {
  try {
    return JSON.parse(e.data)
  } catch {
    return e.data
  }
}

/**
 * POSTs `body` as JSON asking for an event stream, and calls `handlers[event]` with each
 * event's (JSON) data until the stream ends. A refusal before the stream (4xx/5xx) throws an
 * ApiError; aborting `signal` rejects with an AbortError.
 */
export async function postEventStream(
  url: string,
  body: unknown,
  handlers: Record<string, (data: unknown) => void>,
  signal?: AbortSignal,
): Promise<void> {
  const response = await globalThis.fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { accept: 'text/event-stream', 'content-type': 'application/json', ...sessionHeaders('POST') },
    body: JSON.stringify(body),
    signal,
  })
  if (!response.ok) {
    if (response.status === 401) sessionExpired()
    let problem: Problem | null = null
    try {
      problem = (await response.json()) as Problem
    } catch {
      problem = null
    }
    throw new ApiError(response.status, problem, `${response.status} ${response.statusText}`)
  }
  const parser = createSseParser((e) => handlers[e.event]?.(eventData(e)))
  if (!response.body) {
    parser.push(await response.text())
    parser.end()
    return
  }
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    parser.push(decoder.decode(value, { stream: true }))
  }
  parser.push(decoder.decode())
  parser.end()
}
