import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/problem'
import {
  certificateNameError, certificateTagType, expiryText, gatewayState, renewalText, uploadCall, uploadFieldErrors, usableCertificates,
} from './certificates'

const NOW = Date.parse('2026-06-01T12:00:00Z')
const DAY = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString()

function cert(name: string, status: string, notAfter: number) {
  return {
    name, source: 'uploaded', domains: [`${name}.test`], issuer: 'CN=Test CA', serial: '01', not_before: iso(NOW - 30 * DAY),
    not_after: iso(notAfter), status, updated_at: iso(NOW),
  }
}

describe('a certificate status as a tag', () => {
  it.each([
    ['valid', 'success'],
    ['expiring', 'warning'],
    ['expired', 'danger'],
    ['something-new', 'info'],
  ])('%s → %s', (status, type) => expect(certificateTagType(status)).toBe(type))
})

describe('expiry and renewal as sentences', () => {
  it('a future expiry, a past one', () => {
    expect(expiryText(iso(NOW + 3 * DAY), NOW)).toMatch(/^expires in 3 days$/)
    expect(expiryText(iso(NOW - 2 * DAY), NOW)).toMatch(/^expired 2 days ago$/)
  })
  it('uploaded certificates are never renewed; ACME ones renew at their renewal time', () => {
    expect(renewalText({ source: 'uploaded', renewal_at: null }, NOW)).toMatch(/^not renewed/)
    expect(renewalText({ source: 'acme', renewal_at: iso(NOW + 20 * DAY) }, NOW)).toMatch(/^renews in 3 wk/)
    expect(renewalText({ source: 'acme', renewal_at: iso(NOW - 60 * 60_000) }, NOW)).toMatch(/^due \(since 1 hr\. ago\)$/)
  })
})

describe('the upload form', () => {
  it.each([
    ['shop-example.com_2', null],
    ['', 'name the certificate'],
    ['has space', 'use letters'],
    ['a/b', 'use letters'],
    ['x'.repeat(129), 'at most 128'],
  ])('name %j', (name, error) => {
    const got = certificateNameError(name)
    if (error === null) expect(got).toBeNull()
    else expect(got).toContain(error)
  })

  it('the call: the trimmed name, the PEM texts as given', () => {
    const chain = '-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n'
    const key = '-----BEGIN PRIVATE KEY-----\nB\n-----END PRIVATE KEY-----\n'
    expect(uploadCall({ name: ' shop ', chain_pem: chain, key_pem: key })).toEqual({ name: 'shop', body: { chain_pem: chain, key_pem: key } })
  })

  it('a 422 goes to the chain or the key field', () => {
    const e = new ApiError(422, {
      type: 'about:blank', title: 'Unprocessable', status: 422,
      errors: [{ field: 'key_pem', message: 'the key does not match the certificate' }, { field: 'other', message: 'x' }],
    }, '422')
    expect(uploadFieldErrors(e)).toEqual({ key_pem: 'the key does not match the certificate' })
    expect(uploadFieldErrors(new ApiError(500, null, '500'))).toBeNull()
  })
})

describe('certificates a service can name', () => {
  it('expired ones are left out, the longest-lived first', () => {
    const list = usableCertificates([cert('old', 'expired', NOW - DAY), cert('soon', 'expiring', NOW + 5 * DAY), cert('long', 'valid', NOW + 80 * DAY)])
    expect(list.map((c) => c.name)).toEqual(['long', 'soon'])
  })
})

describe('a gateway state', () => {
  it.each([
    [{ supported: false, running: false }, 'unsupported'],
    [{ supported: true, running: true }, 'running'],
    [{ supported: true, running: false }, 'stopped'],
  ])('%j → %s', (g, state) => expect(gatewayState(g)).toBe(state))
})
