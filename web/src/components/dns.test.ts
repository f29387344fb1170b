import { describe, expect, it } from 'vitest'
import { dnssecState, dsLine, healthState, keyText } from './dns'

describe('DNS wording', () => {
  it('names the DNSSEC state, an unreadable zone first', () => {
    expect(dnssecState({ signed: true })).toEqual({ label: 'signed', type: 'success' })
    expect(dnssecState({ signed: false })).toEqual({ label: 'unsigned', type: 'info' })
    expect(dnssecState({ signed: false, error: 'unreachable' })).toEqual({ label: 'unknown', type: 'danger' })
  })

  it('tags health: mismatch red, in sync green, unchecked grey', () => {
    expect(healthState('mismatch').type).toBe('danger')
    expect(healthState('in_sync')).toEqual({ label: 'in sync', type: 'success' })
    expect(healthState('unchecked').type).toBe('info')
  })

  it('writes keys and DS records as operators read them', () => {
    const key = { key_tag: 2371, algorithm: 13, algorithm_name: 'ECDSAP256SHA256', role: 'csk', active: true, dnskey: '257 3 13 AA==' }
    expect(keyText(key)).toBe('CSK 2371 · ECDSAP256SHA256')
    expect(keyText({ ...key, active: false })).toBe('CSK 2371 · ECDSAP256SHA256 (inactive)')
    expect(dsLine('example.com', '2371 13 2 ABCD')).toBe('example.com. IN DS 2371 13 2 ABCD')
  })
})
