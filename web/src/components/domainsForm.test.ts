import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/problem'
import {
  checkDomainsForm, domainsFieldErrors, domainUrl, emptyDomainsForm, environmentLabel, EVERY_ENVIRONMENT, formFrom, setDomainsCall,
  splitDomains, tlsLabel,
} from './domainsForm'

function problem(errors: { field: string; message: string }[]) {
  return new ApiError(422, { type: 'about:blank', title: 'Unprocessable', status: 422, detail: 'invalid', errors }, '422')
}

describe('splitDomains: what was typed or pasted into the domains field', () => {
  it.each([
    ['shop.example.com', ['shop.example.com']],
    [' a.example.com, b.example.com ', ['a.example.com', 'b.example.com']],
    ['a.example.com\nb.example.com  c.example.com', ['a.example.com', 'b.example.com', 'c.example.com']],
    ['https://shop.example.com/', ['shop.example.com']],
    ['http://example.com/api', ['example.com/api']],
    [' , ', []],
  ])('%j → %j', (text, expected) => expect(splitDomains(text)).toEqual(expected))
})

describe('the set_stack_domains call', () => {
  it('for every environment: no environment query, no port, TLS automatic', () => {
    const form = { ...emptyDomainsForm('web'), domains: [' shop.example.com ', ''] }
    expect(setDomainsCall(form)).toEqual({ service: 'web', body: { domains: ['shop.example.com'], tls: 'auto' } })
  })

  it('for one environment, with a port and TLS off', () => {
    const form = { ...emptyDomainsForm('web'), domains: ['a.test', 'b.test'], port: ' 8080 ', tls: 'off' as const, environment: 'staging' }
    expect(setDomainsCall(form)).toEqual({ service: 'web', environment: 'staging', body: { domains: ['a.test', 'b.test'], port: 8080, tls: 'off' } })
  })

  it('a stored certificate is sent by its name', () => {
    const form = { ...emptyDomainsForm('api'), domains: ['api.test'], tls: 'certificate' as const, certificate: 'wildcard-test' }
    expect(setDomainsCall(form).body.tls).toBe('wildcard-test')
  })

  it('duplicates are kept for the server to name', () => {
    const form = { ...emptyDomainsForm('web'), domains: ['a.test', 'a.test'] }
    expect(setDomainsCall(form).body.domains).toEqual(['a.test', 'a.test'])
  })
})

describe('checkDomainsForm: what the form lacks before it is sent', () => {
  it('a complete form has no errors', () => {
    expect(checkDomainsForm({ ...emptyDomainsForm('web'), domains: ['a.test'] })).toEqual({})
  })
  it('no service, no domain, a bad port, a certificate not chosen', () => {
    const errors = checkDomainsForm({ ...emptyDomainsForm(''), port: '70000', tls: 'certificate' })
    expect(Object.keys(errors).sort()).toEqual(['domains', 'port', 'service', 'tls'])
  })
  it.each(['0', 'abc', '80.5', '-1'])('port %j is refused', (port) => {
    expect(checkDomainsForm({ ...emptyDomainsForm('web'), domains: ['a.test'], port }).port).toBeTruthy()
  })
})

describe('a 422 shown at the fields', () => {
  it('domains[i] goes to the domains field, naming the domain at fault', () => {
    const e = problem([{ field: 'domains[1]', message: 'the host is empty' }, { field: 'port', message: 'port 81 is not declared' }])
    expect(domainsFieldErrors(e, ['ok.test', 'bad..test'])).toEqual({ domains: 'bad..test: the host is empty', port: 'port 81 is not declared' })
  })
  it('a message that already names the domain is not prefixed again', () => {
    const e = problem([{ field: 'domains[0]', message: '"x_y" has a character a host cannot have' }])
    expect(domainsFieldErrors(e, ['x_y'])).toEqual({ domains: '"x_y" has a character a host cannot have' })
  })
  it('service and tls errors; an error naming no field of the form is not a field error', () => {
    expect(domainsFieldErrors(problem([{ field: 'service', message: 'no service "db"' }, { field: 'tls', message: 'unknown mode' }]))).toEqual({
      service: 'no service "db"',
      tls: 'unknown mode',
    })
    expect(domainsFieldErrors(problem([{ field: 'stack', message: 'x' }]))).toBeNull()
    expect(domainsFieldErrors(new Error('network'))).toBeNull()
  })
})

describe('how the list reads', () => {
  it('links: https unless TLS is off; none for a wildcard', () => {
    expect(domainUrl('shop.example.com', 'auto')).toBe('https://shop.example.com')
    expect(domainUrl('example.com/api', 'my-cert')).toBe('https://example.com/api')
    expect(domainUrl('plain.test', 'off')).toBe('http://plain.test')
    expect(domainUrl('*.example.com', 'auto')).toBeNull()
  })
  it('TLS modes and environments', () => {
    expect(tlsLabel('auto')).toBe('automatic (ACME)')
    expect(tlsLabel('off')).toBe('off (plain HTTP)')
    expect(tlsLabel('shop')).toBe('certificate shop')
    expect(environmentLabel({ source: 'compose', environment: null })).toBe('compose file')
    expect(environmentLabel({ source: 'control-plane', environment: null })).toBe('every environment')
    expect(environmentLabel({ source: 'control-plane', environment: 'prod' })).toBe('prod')
  })
  it('a listed setting fills the form back', () => {
    const row = { service: 'web', domains: ['a.test'], port: 8080, tls: 'shop', source: 'control-plane', environment: 'prod' }
    expect(formFrom(row)).toEqual({ service: 'web', domains: ['a.test'], port: '8080', tls: 'certificate', certificate: 'shop', environment: 'prod' })
    expect(formFrom({ ...row, tls: 'off', source: 'compose', environment: null })).toMatchObject({ tls: 'off', certificate: '', environment: EVERY_ENVIRONMENT })
  })
})
