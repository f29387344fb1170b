import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import CatalogSources from './CatalogSources.vue'

const SOURCE = {
  name: 'coolify', kind: 'git', url: 'https://github.com/coollabsio/coolify.git', path: 'templates/compose', reference: 'main', format: 'coolify',
  refresh_interval_s: 86400, refreshed_at: new Date().toISOString(), templates: 180, refresh_error: null,
  report: [
    { template: 'a.yaml', outcome: 'skipped', reason: 'needs-repository', message: 'builds from a repository' },
    { template: 'b.yaml', outcome: 'skipped', reason: 'needs-repository', message: 'builds from a repository' },
    { template: 'c.yaml', outcome: 'partial', reason: 'unsupported-key', message: 'x-coolify-foo dropped' },
  ],
}

function server() {
  const sent: { method: string; url: string; body?: Record<string, unknown> }[] = []
  vi.stubGlobal('fetch', async (request: Request) => {
    const url = new URL(request.url).pathname
    const body = request.method === 'POST' && url.endsWith('/sources') ? await request.json() : undefined
    sent.push({ method: request.method, url, body })
    const json = (b: unknown, status = 200) => new Response(JSON.stringify(b), { status, headers: { 'content-type': 'application/json' } })
    if (url.endsWith('/catalog/sources') && request.method === 'GET') return json([SOURCE])
    if (url.endsWith('/catalog/sources')) return json({ ...SOURCE, ...body, templates: 3, report: [] }, 201)
    if (url.endsWith('/refresh')) return json({ ...SOURCE, refresh_error: 'git fetch failed: repository not found' })
    return json({}, 404)
  })
  return sent
}

const mountIt = () => mount(CatalogSources, { attachTo: document.body })

describe('catalog sources', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it('lists the sources; the import report is summed by reason', async () => {
    server()
    const w = mountIt()
    await flushPromises()
    expect(w.find('[data-test=catalog-sources]').text()).toContain('coolify')
    expect(w.find('[data-test=catalog-sources]').text()).toContain('180')
    await w.find('.el-table__expand-icon').trigger('click')
    await flushPromises()
    const counts = w.findAll('[data-test=report-coolify] .counts .el-tag').map((t) => t.text())
    expect(counts).toEqual(['skipped · needs-repository: 2', 'partial · unsupported-key: 1'])
    w.unmount()
  })

  it('adds a source with what was filled in, and refreshes one', async () => {
    const sent = server()
    const w = mountIt()
    await flushPromises()
    await w.find('input[name=source-name]').setValue('mine')
    await w.find('input[name=source-url]').setValue('https://example.com/templates.git')
    await w.find('input[name=source-path]').setValue('stacks')
    await w.find('[data-test=add-source]').trigger('submit')
    await flushPromises()
    expect(sent.find((s) => s.method === 'POST' && s.url === '/api/v1/catalog/sources')!.body).toEqual({
      name: 'mine', url: 'https://example.com/templates.git', kind: 'git', path: 'stacks', reference: null, format: 'windflow', refresh_interval_s: 86400,
    })
    await w.find('[data-test=refresh-coolify]').trigger('click')
    await flushPromises()
    expect(sent.some((s) => s.method === 'POST' && s.url === '/api/v1/catalog/sources/coolify/refresh')).toBe(true)
    w.unmount()
  })
})
