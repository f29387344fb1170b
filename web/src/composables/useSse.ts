// Server-Sent Events from the API (same origin: the session cookie goes along).
import { onBeforeUnmount } from 'vue'

export type SseHandlers = Record<string, (data: unknown) => void>

export function openSse(url: string, handlers: SseHandlers, onError?: () => void): EventSource {
  const source = new EventSource(url, { withCredentials: true })
  for (const [event, handler] of Object.entries(handlers)) {
    source.addEventListener(event, (e) => {
      const text = (e as MessageEvent<string>).data
      try {
        handler(JSON.parse(text))
      } catch {
        handler(text)
      }
    })
  }
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) onError?.()
  }
  return source
}

/** An SSE connection closed when the component unmounts. */
export function useSse() {
  let source: EventSource | null = null
  function open(url: string, handlers: SseHandlers, onError?: () => void) {
    close()
    source = openSse(url, handlers, onError)
  }
  function close() {
    source?.close()
    source = null
  }
  onBeforeUnmount(close)
  return { open, close }
}
