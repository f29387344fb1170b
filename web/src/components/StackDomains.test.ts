import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import StackDomains from './StackDomains.vue'
import { useSessionStore } from '@/stores/session'

type Answer = { status: number; body: unknown }

/** Answers the section's API calls like the server would, recording the requests. */
function server(answer: (method: string, url: string, body: unknown) => Answer | undefined) {
  const requests: { method: string; url: string; body: unknown }[] = []
  vi.stubGlobal('fetch', async (request: Request) => {
    const body = request.method === 'PUT' ? await request.json() : null
    const u = new URL(request.url)
    const url = u.pathname + u.search
    requests.push({ method: request.method, url, body })
    const r = answer(request.method, url, body) ?? { status: 200, body: [] }
    if (r.status === 204) return new Response(null, { status: 204 })
    const type = r.status >= 400 ? 'application/problem+json' : 'application/json'
    return new Response(JSON.stringify(r.body), { status: r.status, headers: { 'content-type': type } })
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

const LISTED = [
  { service: 'web', domains: ['shop.example.com', '*.example.com'], port: 8080, tls: 'auto', source: 'compose' },
  { service: 'web', domains: ['plain.example.com'], port: 8080, tls: 'off', source: 'control-plane', environment: 'staging', updated_by: 'ada', updated_at: '2026-01-01T00:00:00Z' },
]

async function mountIt() {
  const w = mount(StackDomains, { props: { stack: 'shop', services: ['web'] }, attachTo: document.body, global: { stubs: { teleport: true } } })
  await flushPromises()
  return w
}

describe("a stack's Domains section", () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it('lists the domains as links (https, plain http when TLS is off, none for a wildcard) with their source', async () => {
    login('viewer')
    server((_method, url) => (url.endsWith('/stacks/shop/domains') ? { status: 200, body: LISTED } : undefined))
    const w = await mountIt()
    const links = w.findAll('[data-test=domain-link]').map((a) => a.attributes('href'))
    expect(links).toEqual(['https://shop.example.com', 'http://plain.example.com'])
    expect(w.text()).toContain('*.example.com')
    expect(w.text()).toContain('staging')
    // A viewer sees no form and no remove button.
    expect(w.find('[data-test=domains-form]').exists()).toBe(false)
    expect(w.find('[data-test=remove-domains-web-staging]').exists()).toBe(false)
    w.unmount()
  })

  it('sends the form for every environment, and shows a 422 at the domains field', async () => {
    login('admin')
    const requests = server((method) => {
      if (method === 'PUT') {
        return { status: 422, body: { type: 'about:blank', title: 'Invalid', status: 422, detail: 'invalid', errors: [{ field: 'domains[0]', message: 'a label is empty' }] } }
      }
      return undefined
    })
    const w = await mountIt()
    const input = w.find('[data-test=domains-names] input')
    await input.setValue('bad..example.com')
    await input.trigger('keydown', { key: 'Enter', code: 'Enter' })
    await w.find('[data-test=domains-form]').trigger('submit')
    await flushPromises()
    const put = requests.find((r) => r.method === 'PUT')
    expect(put?.url).toBe('/api/v1/orgs/default/stacks/shop/domains/web')
    expect(put?.body).toEqual({ domains: ['bad..example.com'], tls: 'auto' })
    // The message zooms in under its field (a transition).
    await vi.waitFor(() => expect(w.find('.el-form-item__error').text()).toBe('bad..example.com: a label is empty'))
    expect(w.findAll('.el-form-item.is-error').map((f) => f.find('label').text())).toEqual(['Domains'])
    w.unmount()
  })

  it('does not send a form without a domain', async () => {
    login('admin')
    const requests = server(() => undefined)
    const w = await mountIt()
    await w.find('[data-test=domains-form]').trigger('submit')
    await flushPromises()
    expect(requests.some((r) => r.method === 'PUT')).toBe(false)
    expect(w.findAll('.el-form-item.is-error').map((f) => f.find('label').text())).toEqual(['Domains'])
    await vi.waitFor(() => expect(w.find('.el-form-item__error').text()).toMatch(/at least one domain/))
    w.unmount()
  })
})
