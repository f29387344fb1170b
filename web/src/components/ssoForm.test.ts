import { describe, expect, it } from 'vitest'
import { formatMappings, parseMappings, splitList } from './ssoForm'
import { startUrl } from '@/stores/sso'

describe('sso form', () => {
  it('reads group mappings line by line, naming bad lines', () => {
    const { mappings, errors } = parseMappings('devs default operator\n\n# comment\nops  prod admin\nbad line\nx y boss')
    expect(mappings).toEqual([
      { group: 'devs', org: 'default', role: 'operator' },
      { group: 'ops', org: 'prod', role: 'admin' },
    ])
    expect(errors).toEqual(['line 5: expected "group organization role"', 'line 6: role must be one of viewer, operator, admin, owner'])
    expect(formatMappings(mappings)).toBe('devs default operator\nops prod admin')
  })

  it('splits lists on commas and spaces', () => {
    expect(splitList(' example.com, corp.example  other.example,')).toEqual(['example.com', 'corp.example', 'other.example'])
  })

  it('starts a login that comes back only to a path of this server', () => {
    expect(startUrl('corp', '/o/default/stacks')).toBe('/api/v1/auth/sso/corp/start?return_to=%2Fo%2Fdefault%2Fstacks')
    expect(startUrl('corp', '//evil.example')).toBe('/api/v1/auth/sso/corp/start?return_to=%2F')
  })
})
