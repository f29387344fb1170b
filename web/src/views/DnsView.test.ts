import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import DnsView from './DnsView.vue'
import { useSessionStore } from '@/stores/session'

const ZONES = [
  {
    provider: 'pdns', kind: 'powerdns', zone: 'shop.test', signed: true, ds_records: ['2371 13 2 ABCDEF'],
    keys: [{ key_tag: 2371, algorithm: 13, algorithm_name: 'ECDSAP256SHA256', role: 'csk', active: true, dnskey: '257 3 13 AA==', next_rollover: '2030-01-01T00:00:00Z' }],
  },
  { provider: 'pdns', kind: 'powerdns', zone: 'plain.test', signed: false, ds_records: [], keys: [] },
  { provider: 'knot', kind: 'rfc2136', zone: 'gone.test', signed: false, ds_records: [], keys: [], error: 'the DNS server 127.0.0.1:53 is unreachable' },
]
const RECORD = {
  provider: 'pdns', zone: 'shop.test.', name: 'www.shop.test.', record_type: 'A', values: ['192.0.2.10'], owner: 'stack:s1',
  created_at: '2026-01-01T00:00:00Z', health: 'unchecked',
}
const CHECKED = { ...RECORD, health: 'mismatch', health_detail: 'expected 192.0.2.10; 127.0.0.1:53 answers 192.0.2.66', checked_at: new Date().toISOString() }

function server() {
  const requests: { method: string; url: string }[] = []
  vi.stubGlobal('fetch', async (request: Request) => {
    const url = new URL(request.url).pathname
    requests.push({ method: request.method, url })
    let body: unknown = []
    if (url.endsWith('/dns/zones')) body = ZONES
    else if (url.endsWith('/dns/records')) body = [RECORD]
    else if (url.endsWith('/dns/records/check')) body = [CHECKED]
    else if (url.endsWith('/dnssec')) body = { ...ZONES[1], signed: true }
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })
  })
  return requests
}

function login(role: string) {
  useSessionStore().setInfo({
    user: { id: 'u', username: 'ada', display_name: '', is_admin: false, disabled: false, created_at: '2026-01-01T00:00:00Z' },
    organizations: [{ organization: { id: 'o', slug: 'default', name: 'Default', created_at: '2026-01-01T00:00:00Z' }, role }],
    csrf_token: 'csrf',
  } as never)
}

const mountView = () => mount(DnsView, { attachTo: document.body, global: { stubs: { teleport: { template: '<div><slot /></div>' } } } })

describe('the DNS page', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it('shows each zone’s DNSSEC state, keys and DS records, and a provider’s error', async () => {
    login('admin')
    server()
    const w = mountView()
    await flushPromises()
    const states = w.findAll('[data-test=zone-dnssec]').map((t) => t.attributes('data-state'))
    expect(states).toEqual(['signed', 'unsigned', 'unknown'])
    expect(w.find('[data-test=zone-ds]').text()).toBe('2371 13 2 ABCDEF')
    expect(w.find('[data-test=zone-key]').text()).toContain('CSK 2371 · ECDSAP256SHA256')
    expect(w.find('[data-test=zone-key]').text()).toContain('next rollover')
    expect(w.find('[data-test=zone-error]').text()).toContain('unreachable')
    // Only the unsigned, readable zone offers signing.
    expect(w.find('[data-test="enable-dnssec-plain.test"]').exists()).toBe(true)
    expect(w.find('[data-test="enable-dnssec-shop.test"]').exists()).toBe(false)
    expect(w.find('[data-test="enable-dnssec-gone.test"]').exists()).toBe(false)
    w.unmount()
  })

  it('copies a DS record as a zone-file line', async () => {
    login('viewer')
    server()
    const writeText = vi.fn(async () => {})
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    const w = mountView()
    await flushPromises()
    await w.find('[data-test=copy-ds]').trigger('click')
    expect(writeText).toHaveBeenCalledWith('shop.test. IN DS 2371 13 2 ABCDEF')
    w.unmount()
  })

  it('checks records on demand and shows a mismatch with what the server answered', async () => {
    login('operator')
    const requests = server()
    const w = mountView()
    await flushPromises()
    expect(w.find('[data-test=record-health]').attributes('data-health')).toBe('unchecked')
    expect(w.find('[data-test^=enable-dnssec]').exists()).toBe(false)
    await w.find('[data-test=check-records]').trigger('click')
    await flushPromises()
    expect(requests).toContainEqual({ method: 'POST', url: '/api/v1/orgs/default/dns/records/check' })
    expect(w.find('[data-test=record-health]').attributes('data-health')).toBe('mismatch')
    expect(w.find('[data-test=record-health-detail]').text()).toContain('answers 192.0.2.66')
    w.unmount()
  })

  it('a viewer neither checks nor enables', async () => {
    login('viewer')
    server()
    const w = mountView()
    await flushPromises()
    expect(w.find('[data-test=check-records]').exists()).toBe(false)
    expect(w.find('[data-test^=enable-dnssec]').exists()).toBe(false)
    w.unmount()
  })
})
