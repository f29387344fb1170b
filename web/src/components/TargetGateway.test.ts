import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import TargetGateway from './TargetGateway.vue'
import { useSessionStore } from '@/stores/session'

function answer(status: number, body: unknown) {
  vi.stubGlobal('fetch', async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' } }))
}

async function mountIt() {
  const w = mount(TargetGateway, { props: { target: 'local' }, global: { stubs: { RouterLink: { props: ['to'], template: '<a :href="to"><slot /></a>' } } } })
  await flushPromises()
  return w
}

const RUNNING = {
  supported: true, running: true, image: 'caddy:2', http: '0.0.0.0:80', https: '0.0.0.0:443', error: null,
  routes: [{
    domain: 'shop.example.com', stack: 'shop', service: 'web', tls: 'auto', certificate: 'shop.web',
    upstreams: [{ address: 'shop-web-1:8080', healthy: true, requests: 1, fails: 0 }, { address: 'shop-web-2:8080', healthy: false, requests: 0, fails: 4 }],
  }],
}

describe("a target's Gateway tab", () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    useSessionStore().setInfo({
      user: { id: 'u', username: 'ada', display_name: '', is_admin: false, disabled: false, created_at: '2026-01-01T00:00:00Z' },
      organizations: [{ organization: { id: 'o', slug: 'default', name: 'Default', created_at: '2026-01-01T00:00:00Z' }, role: 'viewer' }],
      csrf_token: 'csrf',
    } as never)
    vi.unstubAllGlobals()
  })

  it('agent targets: not supported', async () => {
    answer(200, { supported: false, running: false, image: '', http: '', https: '', routes: [] })
    const w = await mountIt()
    expect(w.find('[data-test=gateway-unsupported]').text()).toContain('Not supported on this kind of target')
    expect(w.find('[data-test=gateway-routes]').exists()).toBe(false)
  })

  it('routes with their stack link, certificate and each upstream healthy or not', async () => {
    answer(200, RUNNING)
    const w = await mountIt()
    expect(w.find('[data-test=gateway-state]').attributes('data-state')).toBe('running')
    expect(w.text()).toContain('0.0.0.0:443')
    expect(w.findAll('a').map((a) => a.attributes('href'))).toEqual(['https://shop.example.com', '/o/default/stacks/shop?tab=domains', '/o/default/certificates'])
    expect(w.findAll('[data-state=healthy], [data-state=unhealthy]').map((t) => t.attributes('data-state'))).toEqual(['healthy', 'unhealthy'])
    expect(w.find('[data-test=gateway-error]').exists()).toBe(false)
  })

  it('TCP forwards: listen port, server names or the whole port, stack and replicas', async () => {
    answer(200, {
      ...RUNNING,
      tcp_running: true,
      tcp_routes: [
        { listen: 15432, sni: [], stack: 'shop', service: 'db', upstreams: ['shop-db-1:5432'] },
        { listen: 8443, sni: ['api.example.com'], stack: 'api', service: 'web', upstreams: ['api-web-1:8443', 'api-web-2:8443'] },
      ],
    })
    const w = await mountIt()
    expect(w.find('[data-test=gateway-tcp-state]').attributes('data-state')).toBe('running')
    const table = w.find('[data-test=gateway-tcp-routes]').text()
    for (const text of [':15432', 'the whole port', 'shop-db-1:5432', ':8443', 'api.example.com', 'api-web-2:8443']) {
      expect(table).toContain(text)
    }
  })

  it('no TCP forwards: no TCP table', async () => {
    answer(200, RUNNING)
    const w = await mountIt()
    expect(w.find('[data-test=gateway-tcp-routes]').exists()).toBe(false)
  })

  it('a gateway that could not be read: not running, with the reason', async () => {
    answer(200, { ...RUNNING, running: false, routes: [], error: 'no such container: windflow-gateway' })
    const w = await mountIt()
    expect(w.find('[data-test=gateway-state]').attributes('data-state')).toBe('stopped')
    expect(w.find('[data-test=gateway-error]').text()).toContain('no such container: windflow-gateway')
  })
})
