import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import CatalogView from './CatalogView.vue'
import { useSessionStore } from '@/stores/session'

const TEMPLATES = [
  { source: 'builtin', id: 'redis', name: 'Redis', version: '1.0.0', description: 'In-memory key-value store.', categories: ['database', 'cache'], logo: 'https://redis.io/logo.svg' },
  { source: 'builtin', id: 'ghost', name: 'Ghost', version: '2.1.0', description: 'Publishing platform.', categories: ['cms'], logo: '/logos/ghost.svg' },
  { source: 'coolify', id: 'n8n', name: 'n8n', version: '1.0.0', description: 'Workflow automation.', categories: ['automation'] },
]

function server() {
  const queries: string[] = []
  vi.stubGlobal('fetch', async (request: Request) => {
    const url = new URL(request.url)
    queries.push(url.search)
    const q = url.searchParams.get('q') ?? ''
    const category = url.searchParams.get('category') ?? ''
    const found = TEMPLATES.filter((t) => (!q || t.name.toLowerCase().includes(q)) && (!category || t.categories.includes(category)))
    return new Response(JSON.stringify(found), { status: 200, headers: { 'content-type': 'application/json' } })
  })
  return queries
}

async function mountView() {
  useSessionStore().setInfo({
    user: { id: 'u', username: 'ada', display_name: '', is_admin: false, disabled: false, created_at: '2026-01-01T00:00:00Z' },
    organizations: [{ organization: { id: 'o', slug: 'default', name: 'Default', created_at: '2026-01-01T00:00:00Z' }, role: 'viewer' }],
    csrf_token: 'csrf',
  } as never)
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { render: () => null } }] })
  await router.push('/o/default/catalog')
  const w = mount(CatalogView, { global: { plugins: [router] } })
  await flushPromises()
  return { w, router }
}

describe('the catalog', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.unstubAllGlobals()
  })

  it('shows a card per template: logo or initial, name, version, source; linked to its page', async () => {
    server()
    const { w } = await mountView()
    const redis = w.find('[data-test=template-redis]')
    expect(redis.text()).toContain('Redis')
    expect(redis.text()).toContain('v1.0.0')
    expect(redis.text()).toContain('builtin')
    expect(redis.find('img').exists()).toBe(false)
    expect(redis.find('.initial').text()).toBe('R')
    expect(w.find('[data-test=template-ghost] img').attributes('src')).toBe('/logos/ghost.svg')
    expect(w.find('[data-test=template-n8n]').attributes('href')).toBe('/o/default/catalog/coolify/n8n')
    const chips = w.findAll('[data-test=catalog-categories] .el-check-tag').map((c) => c.text())
    expect(chips).toEqual(['all', 'automation', 'cache', 'cms', 'database'])
  })

  it('searches as one types and filters by a category chip, keeping both in the URL', async () => {
    vi.useFakeTimers()
    const queries = server()
    const { w, router } = await mountView()
    await w.find('input[name=catalog-search]').setValue('red')
    vi.advanceTimersByTime(300)
    vi.useRealTimers()
    await flushPromises()
    expect(queries.at(-1)).toBe('?q=red')
    expect(w.findAll('[data-test^=template-]').map((c) => c.attributes('data-test'))).toEqual(['template-redis'])
    expect(router.currentRoute.value.query).toEqual({ q: 'red' })
    await w.find('input[name=catalog-search]').setValue('')
    await w.find('[data-test=category-cms]').trigger('click')
    await flushPromises()
    expect(queries.at(-1)).toBe('?category=cms')
    expect(w.findAll('[data-test^=template-]').map((c) => c.attributes('data-test'))).toEqual(['template-ghost'])
    // The chips stay while filtering.
    expect(w.findAll('[data-test=catalog-categories] .el-check-tag')).toHaveLength(5)
  })
})
