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

/** The problem type of a login that needs a second factor (a code from the app or a recovery code). */
export const SECOND_FACTOR_REQUIRED = 'https://windflow.dev/problems/second-factor-required'
/** The problem type of an organization whose login policy wants a second factor you have not enrolled. */
export const SECOND_FACTOR_ENROLMENT_REQUIRED = 'https://windflow.dev/problems/second-factor-enrolment-required'

/** Whether the server asks for a second-factor code (the login then shows the code field). */
export function needsSecondFactor(e: unknown): boolean {
  return e instanceof ApiError && e.problem?.type === SECOND_FACTOR_REQUIRED
}
