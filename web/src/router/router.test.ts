import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'

// The views themselves are not under test: every lazy page resolves to an empty component.
vi.mock('@/views/DashboardView.vue', () => ({ default: { render: () => null } }))
vi.mock('@/views/StackView.vue', () => ({ default: { render: () => null } }))
vi.mock('@/views/StacksView.vue', () => ({ default: { render: () => null } }))
vi.mock('@/views/DeploymentsView.vue', () => ({ default: { render: () => null } }))
vi.mock('@/views/CertificatesView.vue', () => ({ default: { render: () => null } }))
vi.mock('@/views/DnsView.vue', () => ({ default: { render: () => null } }))
vi.mock('@/views/CatalogView.vue', () => ({ default: { render: () => null } }))
vi.mock('@/views/TemplateView.vue', () => ({ default: { render: () => null } }))
vi.mock('@/views/LoginView.vue', () => ({ default: { render: () => null } }))
vi.mock('@/components/AppLayout.vue', () => ({ default: { render: () => null } }))

import { router } from './index'
import { useSessionStore } from '@/stores/session'

function info(orgs: string[]) {
  return {
    user: { id: 'u1', username: 'vera', display_name: '', is_admin: false, disabled: false, created_at: '2026-01-01T00:00:00Z' },
    organizations: orgs.map((slug) => ({ organization: { id: slug, slug, name: slug, created_at: '2026-01-01T00:00:00Z' }, role: 'viewer' })),
    csrf_token: 'csrf',
  }
}

describe('router: the organization is in the URL', () => {
  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
  })

  it('a deep link selects its organization, whatever was chosen before', async () => {
    const s = useSessionStore()
    s.setInfo(info(['alpha', 'beta']) as never)
    s.selectOrg('alpha')
    await router.push('/o/beta/stacks/web')
    expect(router.currentRoute.value.name).toBe('stack')
    expect(s.org).toBe('beta')
    expect(s.at('/deployments')).toBe('/o/beta/deployments')
  })

  it('older links without the organization land in the current one', async () => {
    const s = useSessionStore()
    s.setInfo(info(['alpha', 'beta']) as never)
    s.selectOrg('beta')
    await router.push('/stacks/web?tab=history')
    expect(router.currentRoute.value.fullPath).toBe('/o/beta/stacks/web?tab=history')
    await router.push('/')
    expect(router.currentRoute.value.fullPath).toBe('/o/beta')
    await router.push('/no/such/page')
    expect(router.currentRoute.value.fullPath).toBe('/o/beta')
  })

  it('the certificates page is a section of the organization; an older link lands in it', async () => {
    const s = useSessionStore()
    s.setInfo(info(['alpha']) as never)
    await router.push('/o/alpha/certificates')
    expect(router.currentRoute.value.name).toBe('certificates')
    await router.push('/certificates')
    expect(router.currentRoute.value.fullPath).toBe('/o/alpha/certificates')
  })

  it('the DNS page is a section of the organization; an older link lands in it', async () => {
    const s = useSessionStore()
    s.setInfo(info(['alpha']) as never)
    await router.push('/o/alpha/dns')
    expect(router.currentRoute.value.name).toBe('dns')
    await router.push('/dns')
    expect(router.currentRoute.value.fullPath).toBe('/o/alpha/dns')
  })

  it('the catalog is a section of the organization; a template has its own page', async () => {
    const s = useSessionStore()
    s.setInfo(info(['alpha']) as never)
    await router.push('/o/alpha/catalog')
    expect(router.currentRoute.value.name).toBe('catalog')
    await router.push('/o/alpha/catalog/builtin/redis')
    expect(router.currentRoute.value.name).toBe('template')
    expect(router.currentRoute.value.params).toMatchObject({ source: 'builtin', id: 'redis' })
    await router.push('/o/alpha/catalog/builtin')
    expect(router.currentRoute.value.fullPath).toBe('/o/alpha/catalog')
    await router.push('/catalog?q=redis')
    expect(router.currentRoute.value.fullPath).toBe('/o/alpha/catalog?q=redis')
  })

  it('an organization the user is not in does not become the current one', async () => {
    const s = useSessionStore()
    s.setInfo(info(['alpha']) as never)
    await router.push('/o/other/stacks')
    expect(router.currentRoute.value.params.org).toBe('other')
    expect(s.org).toBe('alpha')
  })

  it('without a session, any page goes to the login page with the way back', async () => {
    const s = useSessionStore()
    s.setInfo(null)
    await router.push('/o/alpha/deployments')
    expect(router.currentRoute.value.name).toBe('login')
    expect(router.currentRoute.value.query.next).toBe('/o/alpha/deployments')
  })
})
