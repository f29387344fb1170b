// The one HTTP client of the console: typed from the server's OpenAPI document, with the
// session's CSRF header on mutating requests, 401 → the login page (keeping the return path),
// and problem+json answers thrown as ApiError for toasts and inline errors.
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'
import { ApiError, type Problem } from './problem'

export const CSRF_HEADER = 'x-csrf-token'

type Hooks = {
  /** The CSRF token of the current session, if any. */
  csrfToken: () => string | null
  /** Called when the server says the session is gone (401) on a call other than login. */
  onUnauthorized: () => void
}

let hooks: Hooks = { csrfToken: () => null, onUnauthorized: () => {} }

export function configureClient(h: Hooks) {
  hooks = h
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** The session's headers for a request made without the client (a streamed POST): its CSRF token. */
export function sessionHeaders(method: string): Record<string, string> {
  const token = hooks.csrfToken()
  return token && MUTATING.has(method.toUpperCase()) ? { [CSRF_HEADER]: token } : {}
}

/** Tells the console the session is gone (a 401 seen outside the client, on a streamed POST). */
export function sessionExpired() {
  hooks.onUnauthorized()
}

const auth: Middleware = {
  onRequest({ request }) {
    const token = hooks.csrfToken()
    if (token && MUTATING.has(request.method)) request.headers.set(CSRF_HEADER, token)
    return request
  },
  async onResponse({ request, response }) {
    if (response.ok) return response
    let problem: Problem | null = null
    const type = response.headers.get('content-type') ?? ''
    if (type.includes('json')) {
      try {
        problem = (await response.clone().json()) as Problem
      } catch {
        problem = null
      }
    }
    if (response.status === 401 && !new URL(request.url).pathname.endsWith('/auth/login')) {
      hooks.onUnauthorized()
    }
    throw new ApiError(response.status, problem, `${response.status} ${response.statusText}`)
  },
}

type Prefetch = { at: number; calls: Map<string, Promise<Response | null>> }

/**
 * The answer `public/prefetch.js` started for this GET before the console loaded, taken once:
 * only a success no older than 10 s; anything else is asked again.
 */
async function prefetched(request: Request): Promise<Response | null> {
  const pre = (globalThis as { __wfPrefetch?: Prefetch }).__wfPrefetch
  if (!pre || request.method !== 'GET' || Date.now() - pre.at > 10_000) return null
  const url = new URL(request.url)
  const key = url.pathname + url.search
  const call = pre.calls.get(key)
  if (!call) return null
  pre.calls.delete(key)
  const response = await call
  return response?.ok ? response : null
}

export const api = createClient<paths>({
  baseUrl: globalThis.location?.origin ?? '',
  credentials: 'same-origin',
  // Looked up per call, so tests can stub it.
  fetch: async (request: Request) => (await prefetched(request)) ?? globalThis.fetch(request),
})
api.use(auth)

/** Unwraps an openapi-fetch result: its data, or throws (errors are thrown by the middleware). */
export async function call<T>(promise: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await promise
  if (error !== undefined && error !== null) {
    throw new ApiError(response.status, error as Problem, `${response.status}`)
  }
  return data as T
}
