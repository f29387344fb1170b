import { afterEach, describe, expect, it, vi } from 'vitest'
import { createSseParser, postEventStream, type SseEvent } from './sse'
import { configureClient } from './client'
import { ApiError } from './problem'

function parse(chunks: string[], end = true): SseEvent[] {
  const events: SseEvent[] = []
  const p = createSseParser((e) => events.push(e))
  for (const c of chunks) p.push(c)
  if (end) p.end()
  return events
}

describe('the text/event-stream parser', () => {
  it('reads event and data lines, one event per blank line', () => {
    expect(parse(['event: progress\ndata: {"step":"asking","round":1}\n\nevent: result\ndata: {"compose":"x"}\n\n'])).toEqual([
      { event: 'progress', data: '{"step":"asking","round":1}' },
      { event: 'result', data: '{"compose":"x"}' },
    ])
  })

  it('takes chunks split anywhere, mid-line and mid-field', () => {
    const text = 'event: progress\ndata: {"step":"checked","errors":2}\n\nevent: result\ndata: {"ok":true}\n\n'
    const whole = parse([text])
    for (let at = 1; at < text.length; at++) expect(parse([text.slice(0, at), text.slice(at)])).toEqual(whole)
    expect(parse(text.split(''))).toEqual(whole)
  })

  it('handles CRLF and CR line ends, even split between \\r and \\n', () => {
    expect(parse(['event: a\r', '\ndata: 1\r\n\r', '\nevent: b\rdata: 2\r\r'])).toEqual([
      { event: 'a', data: '1' },
      { event: 'b', data: '2' },
    ])
  })

  it('joins multi-line data, ignores comments and unknown fields, defaults the event to message', () => {
    expect(parse([': keep-alive\n\ndata: line one\ndata:line two\nretry: 10\nid: 7\n\n'])).toEqual([
      { event: 'message', data: 'line one\nline two', id: '7' },
    ])
  })

  it('does not dispatch an event without data, and flushes the last one at the end', () => {
    expect(parse(['event: lonely\n\n'])).toEqual([])
    expect(parse(['event: result\ndata: {}'], false)).toEqual([])
    expect(parse(['event: result\ndata: {}'])).toEqual([{ event: 'result', data: '{}' }])
  })
})

describe('a POSTed event stream', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('sends JSON with the CSRF header and calls the handlers per event', async () => {
    configureClient({ csrfToken: () => 'tok', onUnauthorized: () => {} })
    const encoder = new TextEncoder()
    const parts = ['event: progress\ndata: {"step":"ask', 'ing"}\n\nevent: res', 'ult\ndata: {"compose":"services: {}"}\n\n']
    let sent: { url: string; init: RequestInit } | null = null
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      sent = { url, init }
      const body = new ReadableStream({
        start(c) {
          for (const p of parts) c.enqueue(encoder.encode(p))
          c.close()
        },
      })
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } })
    })
    const seen: unknown[] = []
    await postEventStream('/api/v1/orgs/default/ai/generate', { description: 'redis' }, {
      progress: (d) => seen.push(['progress', d]),
      result: (d) => seen.push(['result', d]),
    })
    expect(seen).toEqual([['progress', { step: 'asking' }], ['result', { compose: 'services: {}' }]])
    const headers = sent!.init.headers as Record<string, string>
    expect(headers['x-csrf-token']).toBe('tok')
    expect(headers.accept).toBe('text/event-stream')
    expect(sent!.init.body).toBe('{"description":"redis"}')
  })

  it('a 401 ends the session in the console, like any other call', async () => {
    const onUnauthorized = vi.fn()
    configureClient({ csrfToken: () => 'tok', onUnauthorized })
    vi.stubGlobal('fetch', async () => new Response('{"type":"x","title":"Unauthorized","status":401}', { status: 401, headers: { 'content-type': 'application/problem+json' } }))
    const e = await postEventStream('/x', {}, {}).catch((e) => e)
    expect(e.status).toBe(401)
    expect(onUnauthorized).toHaveBeenCalledOnce()
  })

  it('a refusal before the stream is an ApiError with the problem', async () => {
    vi.stubGlobal('fetch', async () =>
      new Response(JSON.stringify({ type: 'x', title: 'Too many requests', status: 429, detail: 'the monthly token budget is spent' }), {
        status: 429, headers: { 'content-type': 'application/problem+json' },
      }),
    )
    const e = await postEventStream('/x', {}, {}).catch((e) => e)
    expect(e).toBeInstanceOf(ApiError)
    expect(e.status).toBe(429)
    expect(e.message).toBe('the monthly token budget is spent')
  })
})
