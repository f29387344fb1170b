// RFC 9457 problem details as the server sends them, and the error the client throws for them.
import type { components } from './schema'

export type Problem = components['schemas']['Problem']

export class ApiError extends Error {
  readonly status: number
  readonly problem: Problem | null

  constructor(status: number, problem: Problem | null, fallback: string) {
    super(problem?.detail || problem?.title || fallback)
    this.name = 'ApiError'
    this.status = status
    this.problem = problem
  }

  /** Line-numbered errors of a compose file (stack validation). */
  get lines(): { line: number; field: string; message: string }[] {
    return (this.problem?.errors ?? [])
      .filter((e) => typeof e.line === 'number')
      .map((e) => ({ line: e.line as number, field: e.field, message: e.message }))
  }

}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message
  return String(e)
}
