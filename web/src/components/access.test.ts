import { describe, expect, it } from 'vitest'
import { grantBody, grantLabel } from './access'

describe('grant form', () => {
  it('names exactly one subject and a scope name unless organization-wide', () => {
    expect(grantBody({ subjectKind: 'user', subject: 'ops', role: 'operator', scope: 'environment', scopeName: 'staging' })).toEqual({
      user: 'ops',
      team: null,
      role: 'operator',
      scope: 'environment',
      scope_name: 'staging',
    })
    expect(grantBody({ subjectKind: 'team', subject: 'sre', role: 'admin', scope: 'organization', scopeName: 'left over' })).toEqual({
      user: null,
      team: 'sre',
      role: 'admin',
      scope: 'organization',
      scope_name: null,
    })
  })

  it('reads a grant as a sentence', () => {
    const base = { id: 'g', custom: false, created_at: '2026-01-01T00:00:00Z' }
    expect(grantLabel({ ...base, user: 'ops', role: 'operator', scope: 'environment', scope_name: 'staging' })).toBe(
      'operator on environment staging for ops',
    )
    expect(grantLabel({ ...base, team: 'sre', role: 'admin', scope: 'organization' })).toBe('admin on the organization for team sre')
  })
})
