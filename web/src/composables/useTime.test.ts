import { describe, expect, it } from 'vitest'
import { ago, duration, took } from './useTime'

describe('times', () => {
  const now = Date.parse('2026-12-06T12:00:00Z')
  it('says how long ago', () => {
    expect(ago('2026-12-06T11:59:55Z', now)).toBe('just now')
    expect(ago('2026-12-06T11:57:00Z', now)).toMatch(/3 min/)
    expect(ago('2026-12-06T09:00:00Z', now)).toMatch(/3 hr/)
    expect(ago('2026-12-04T12:00:00Z', now)).toMatch(/2 days ago/)
  })
  it('says how long it took', () => {
    expect(duration(850)).toBe('850 ms')
    expect(duration(12_340)).toBe('12.3 s')
    expect(duration(245_000)).toBe('4 min 05 s')
    expect(took('2026-12-06T12:00:00Z', '2026-12-06T12:00:12.300Z')).toBe('12.3 s')
    expect(took(null, null)).toBeNull()
  })
})
