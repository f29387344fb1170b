import { describe, expect, it } from 'vitest'
import { Text } from '@codemirror/state'
import { adviceMarks, adviceSummary, severityOf, severityTag, sortAdvice, splitFix, toDiagnostics } from './advice'

const advice = (over: Record<string, unknown>) =>
  ({ rule: 'no-healthcheck', severity: 'warning', field: 'services.web', message: 'web has no healthcheck', fix: 'add a healthcheck', ...over }) as never

describe('advisor findings in the editor', () => {
  it('maps severities: error, warning, and anything else as info', () => {
    expect(severityOf('error')).toBe('error')
    expect(severityOf('warning')).toBe('warning')
    expect(severityOf('info')).toBe('info')
    expect(severityOf('hint')).toBe('info')
    expect(severityTag('error')).toBe('danger')
    expect(severityTag('info')).toBe('info')
  })

  it('marks the findings with a line, the fix and rule in the message', () => {
    const marks = adviceMarks([
      advice({ line: 3 }),
      advice({ line: null, rule: 'no-restart' }),
      advice({ line: 5, severity: 'error', rule: 'docker-socket', message: 'mounts the Docker socket', fix: 'remove the mount' }),
      advice({ line: 0 }),
    ])
    expect(marks).toEqual([
      { line: 3, severity: 'warning', message: 'web has no healthcheck\nFix: add a healthcheck [no-healthcheck]' },
      { line: 5, severity: 'error', message: 'mounts the Docker socket\nFix: remove the mount [docker-socket]' },
    ])
    expect(adviceMarks(undefined)).toEqual([])
  })

  it('turns marks into diagnostics over the document, dropping lines past its end', () => {
    const doc = Text.of(['services:', '  web:', '    image: nginx'])
    const found = toDiagnostics(
      [
        { line: 3, severity: 'info', message: 'pin the tag' },
        { line: 2, message: 'a compose error' },
        { line: 9, severity: 'warning', message: 'gone' },
      ],
      doc,
    )
    expect(found).toEqual([
      { from: 17, to: 33, severity: 'info', message: 'pin the tag' },
      { from: 10, to: 16, severity: 'error', message: 'a compose error' },
    ])
  })

  it('lists errors first, then warnings, then notes, and counts them', () => {
    const list = [advice({ severity: 'info', line: 1 }), advice({ severity: 'warning', line: 9 }), advice({ severity: 'error', line: 4 }), advice({ severity: 'warning', line: 2 })]
    expect(sortAdvice(list).map((a) => `${a.severity}:${a.line}`)).toEqual(['error:4', 'warning:2', 'warning:9', 'info:1'])
    expect(adviceSummary(list)).toBe('1 error · 2 warnings · 1 note')
    expect(adviceSummary([])).toBe('')
  })
})

describe('a fix', () => {
  it('is prose, then the compose snippet it carries', () => {
    expect(splitFix('restart: unless-stopped')).toEqual({ text: 'restart: unless-stopped', code: '' })
    expect(splitFix('add a healthcheck:\nhealthcheck:\n  test: ["CMD", "redis-cli", "ping"]\n')).toEqual({
      text: 'add a healthcheck:',
      code: 'healthcheck:\n  test: ["CMD", "redis-cli", "ping"]',
    })
  })
})
