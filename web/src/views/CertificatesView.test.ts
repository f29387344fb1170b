import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import CertificatesView from './CertificatesView.vue'
import { useSessionStore } from '@/stores/session'

const CHAIN = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
const KEY = '-----BEGIN PRIVATE KEY-----\nsecret-key-material\n-----END PRIVATE KEY-----\n'
const DAY = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString()
const LISTED = [
  { name: 'shop', source: 'uploaded', domains: ['shop.test'], issuer: 'CN=Test CA', serial: '0a', not_before: iso(Date.now() - 90 * DAY), not_after: iso(Date.now() - DAY), status: 'expired', updated_at: iso(Date.now()) },
  { name: 'api.web', source: 'acme', domains: ['api.test'], issuer: "CN=Let's Encrypt", serial: '0b', not_before: iso(Date.now() - 80 * DAY), not_after: iso(Date.now() + 10 * DAY), renewal_at: iso(Date.now() - DAY), status: 'expiring', renewal_error: 'the ACME server refused the order', updated_at: iso(Date.now()) },
]

function server(answer: (method: string, url: string, body: unknown) => { status: number; body: unknown } | undefined) {
  const requests: { method: string; url: string; body: unknown }[] = []
  vi.stubGlobal('fetch', async (request: Request) => {
    const body = request.method === 'PUT' ? await request.json() : null
    const url = new URL(request.url).pathname
    requests.push({ method: request.method, url, body })
    const r = answer(request.method, url, body) ?? { status: 200, body: LISTED }
    const type = r.status >= 400 ? 'application/problem+json' : 'application/json'
    return new Response(JSON.stringify(r.body), { status: r.status, headers: { 'content-type': type } })
  })
  return requests
}

describe('the Certificates page', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    useSessionStore().setInfo({
      user: { id: 'u', username: 'ada', display_name: '', is_admin: false, disabled: false, created_at: '2026-01-01T00:00:00Z' },
      organizations: [{ organization: { id: 'o', slug: 'default', name: 'Default', created_at: '2026-01-01T00:00:00Z' }, role: 'admin' }],
      csrf_token: 'csrf',
    } as never)
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it('tags expired red and expiring orange, with the last renewal error', async () => {
    server(() => undefined)
    const w = mount(CertificatesView, { attachTo: document.body, global: { stubs: { teleport: { template: '<div><slot /></div>' } } } })
    await flushPromises()
    const tags = w.findAll('[data-test=certificate-status]').map((t) => [t.attributes('data-status'), (t.find('.el-tag').exists() ? t.find('.el-tag') : t).classes().find((c) => /^el-tag--(danger|warning|success)$/.test(c))])
    expect(tags).toEqual([['expired', 'el-tag--danger'], ['expiring', 'el-tag--warning']])
    expect(w.find('[data-test=renewal-error]').text()).toContain('the ACME server refused the order')
    expect(w.text()).toMatch(/expired 1 day ago|expired yesterday/)
    w.unmount()
  })

  it('uploads name, chain and key; a key error is shown at the key field', async () => {
    const requests = server((method) =>
      method === 'PUT'
        ? { status: 422, body: { type: 'about:blank', title: 'Invalid', status: 422, errors: [{ field: 'key_pem', message: 'the key does not match the certificate' }] } }
        : undefined,
    )
    const w = mount(CertificatesView, { attachTo: document.body, global: { stubs: { teleport: { template: '<div><slot /></div>' } } } })
    await flushPromises()
    await w.find('[data-test=upload-certificate]').trigger('click')
    await flushPromises()
    await w.find('input[name=certificate-name]').setValue(' shop ')
    await w.find('textarea[name=certificate-chain]').setValue(CHAIN)
    await w.find('textarea[name=certificate-key]').setValue(KEY)
    await w.find('[data-test=upload-dialog] form').trigger('submit')
    await flushPromises()
    const put = requests.find((r) => r.method === 'PUT')
    expect(put).toEqual({ method: 'PUT', url: '/api/v1/orgs/default/certificates/shop', body: { chain_pem: CHAIN, key_pem: KEY } })
    await vi.waitFor(() => expect(w.find('.el-form-item__error').text()).toBe('the key does not match the certificate'))
    w.unmount()
  })
})
