// The stack advisor's findings as the editor shows them: lint marks at their lines (error,
// warning, info) with the fix in the message, and the list under the editor. Pure.
import type { components } from '@/api/schema'

type Advice = components['schemas']['Advice']
export type Severity = 'error' | 'warning' | 'info'

/** A mark in the editor: a line, a severity and what to say there. */
export interface Mark {
  line: number
  message: string
  severity?: Severity
}

/** The advisor's severity as a lint severity; anything unknown is info. */
export function severityOf(s: string): Severity {
  return s === 'error' || s === 'warning' ? s : 'info'
}

/** Element Plus's tag type for a severity. */
export function severityTag(s: string): 'danger' | 'warning' | 'info' {
  const v = severityOf(s)
  return v === 'error' ? 'danger' : v
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 }

/** Errors first, then warnings, then the rest; by line within each. */
export function sortAdvice(advice: Advice[]): Advice[] {
  return [...advice].sort((a, b) => RANK[severityOf(a.severity)] - RANK[severityOf(b.severity)] || (a.line ?? 0) - (b.line ?? 0))
}

/** One finding as a lint message: what, the fix, and the rule. */
export function adviceMessage(a: Advice): string {
  return `${a.message}${a.fix ? `\nFix: ${a.fix}` : ''} [${a.rule}]`
}

/** The findings that have a line, as editor marks. */
export function adviceMarks(advice: Advice[] | undefined): Mark[] {
  return (advice ?? [])
    .filter((a) => typeof a.line === 'number' && a.line >= 1)
    .map((a) => ({ line: a.line as number, severity: severityOf(a.severity), message: adviceMessage(a) }))
}

/** A document as far as marks need it (CodeMirror's `Text`). */
export interface Doc {
  lines: number
  line(n: number): { from: number; to: number }
}

export interface LintDiagnostic {
  from: number
  to: number
  severity: Severity
  message: string
}

/** Marks as CodeMirror diagnostics over `doc`: lines outside it are dropped; no severity means error. */
export function toDiagnostics(marks: Mark[], doc: Doc): LintDiagnostic[] {
  return marks
    .filter((m) => m.line >= 1 && m.line <= doc.lines)
    .map((m) => {
      const line = doc.line(m.line)
      return { from: line.from, to: Math.max(line.to, line.from), severity: m.severity ?? 'error', message: m.message }
    })
}

/** `2 errors · 1 warning · 3 notes` (only the non-zero ones). */
export function adviceSummary(advice: Advice[]): string {
  const n = { error: 0, warning: 0, info: 0 }
  for (const a of advice) n[severityOf(a.severity)]++
  const parts: string[] = []
  if (n.error) parts.push(`${n.error} error${n.error > 1 ? 's' : ''}`)
  if (n.warning) parts.push(`${n.warning} warning${n.warning > 1 ? 's' : ''}`)
  if (n.info) parts.push(`${n.info} note${n.info > 1 ? 's' : ''}`)
  return parts.join(' · ')
}

/** A fix as prose and, when it carries one (after its first line), a compose snippet. */
export function splitFix(fix: string): { text: string; code: string } {
  const at = fix.indexOf('\n')
  if (at < 0) return { text: fix, code: '' }
  return { text: fix.slice(0, at).trim(), code: fix.slice(at + 1).replace(/\s+$/, '') }
}
