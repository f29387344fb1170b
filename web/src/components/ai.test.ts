import { describe, expect, it } from 'vitest'
import { addProgress, budgetText, diffLines, offerProposal, progressLine, providerRequest, reportCounts, takeProposal } from './ai'

describe('generation progress', () => {
  it('says each step with its round', () => {
    expect(progressLine({ step: 'asking', round: 1, max_rounds: 3 })).toBe('round 1/3: asking the model…')
    expect(progressLine({ step: 'answered', round: 1, prompt_tokens: 700, completion_tokens: 112, duration_ms: 4200 }, 3)).toBe(
      'round 1/3: answered (812 tokens, 4.2 s)',
    )
    expect(progressLine({ step: 'checked', round: 2, errors: 1, warnings: 0 }, 3)).toBe('round 2/3: checked: 1 error, 0 warnings')
    expect(progressLine({ step: 'planning', target: 'local' })).toBe('planning against local…')
  })

  it('remembers the round count for the steps that do not repeat it', () => {
    const state = {}
    let lines: string[] = []
    lines = addProgress(lines, { step: 'asking', round: 1, max_rounds: 2 }, state)
    lines = addProgress(lines, { step: 'checked', round: 1, errors: 2, warnings: 1 }, state)
    expect(lines).toEqual(['round 1/2: asking the model…', 'round 1/2: checked: 2 errors, 1 warning'])
  })
})

describe('a proposal handed to the stack editor', () => {
  it('is taken once, per organization and stack', () => {
    sessionStorage.clear()
    offerProposal('default', 'web', { compose: 'services: {}\n', from: 'diagnosis' })
    expect(takeProposal('other', 'web')).toBeNull()
    expect(takeProposal('default', 'web')).toEqual({ compose: 'services: {}\n', from: 'diagnosis' })
    expect(takeProposal('default', 'web')).toBeNull()
    sessionStorage.setItem('windflow.proposal.default.bad', 'not json')
    expect(takeProposal('default', 'bad')).toBeNull()
  })
})

describe('a unified diff', () => {
  it('has its lines kinded for colouring', () => {
    const lines = diffLines('--- a/compose.yaml\n+++ b/compose.yaml\n@@ -1,2 +1,2 @@\n services:\n-  image: redis\n+  image: redis:7.4\n')
    expect(lines.map((l) => l.kind)).toEqual(['file', 'file', 'hunk', 'context', 'remove', 'add'])
    expect(diffLines('')).toEqual([{ text: '', kind: 'context' }])
  })
})

describe('AI settings', () => {
  const form = { base_url: ' http://llm:8000/v1 ', model: 'qwen', key: 'keep' as const, api_key: 'ignored', json_schema: true }
  it('keeps, sets or clears the write-only key', () => {
    expect(providerRequest(form)).toEqual({ base_url: 'http://llm:8000/v1', model: 'qwen', timeout_s: null, max_tokens: null, monthly_token_budget: null, json_schema: true })
    expect(providerRequest({ ...form, key: 'set', api_key: 'sk-1' }).api_key).toBe('sk-1')
    expect(providerRequest({ ...form, key: 'clear' }).api_key).toBe('')
    expect(providerRequest({ ...form, timeout_s: 60, max_tokens: 4096, monthly_token_budget: 0 })).toMatchObject({ timeout_s: 60, max_tokens: 4096, monthly_token_budget: 0 })
  })

  it('says the month’s usage against the budget', () => {
    expect(budgetText(12345, 1000000)).toBe('12,345 of 1,000,000 tokens (1%)')
    expect(budgetText(500, 0)).toBe('500 tokens (no limit)')
  })

  it('sums an import report by outcome and reason, skipped first', () => {
    expect(
      reportCounts([
        { outcome: 'imported', reason: 'ok' },
        { outcome: 'skipped', reason: 'needs-repository' },
        { outcome: 'partial', reason: 'unsupported-key' },
        { outcome: 'skipped', reason: 'does-not-load' },
        { outcome: 'skipped', reason: 'needs-repository' },
      ]),
    ).toEqual([
      { outcome: 'skipped', reason: 'needs-repository', count: 2 },
      { outcome: 'skipped', reason: 'does-not-load', count: 1 },
      { outcome: 'partial', reason: 'unsupported-key', count: 1 },
      { outcome: 'imported', reason: 'ok', count: 1 },
    ])
  })
})
