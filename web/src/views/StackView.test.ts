import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import { useSessionStore } from '@/stores/session'
import { offerProposal } from '@/components/ai'

// The editors are not under test: stand-ins show their content and marks.
vi.mock('@/components/YamlEditor.vue', () => ({
  __esModule: true,
  default: { props: ['modelValue', 'errors'], template: '<pre data-test="yaml-editor" :data-marks="JSON.stringify(errors)">{{ modelValue }}</pre>' },
}))
vi.mock('@/components/DiffView.vue', () => ({
  __esModule: true,
  default: { props: ['left', 'right'], template: '<pre data-test="diff">{{ right }}</pre>' },
}))
import StackView from './StackView.vue'

const CONTENT = 'services:\n  cache:\n    image: redis:7.4\n'
const DETAIL = {
  stack: { id: 's', name: 'cache', description: '', version: 2, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' },
  current: { version: 2, content: CONTENT, author: 'ada', message: '', created_at: '2026-01-01T00:00:00Z' },
  services: ['cache'],
  deployed: [],
}
const VALIDATION = {
  valid: true, errors: [], warnings: [], services: ['cache'],
  advice: [
    { rule: 'no-healthcheck', severity: 'warning', service: 'cache', field: 'services.cache', line: 2, message: 'cache has no healthcheck', fix: 'add a healthcheck' },
    { rule: 'no-limits', severity: 'info', service: 'cache', field: 'services.cache', line: 3, message: 'no memory limit', fix: 'set mem_limit' },
  ],
}

function server(opts: { provider?: boolean; template?: boolean } = {}) {
  const sent: { method: string; url: string; body?: unknown }[] = []
  vi.stubGlobal('fetch', async (request: Request) => {
    const url = new URL(request.url).pathname
    const body = request.method === 'POST' ? await request.text() : undefined
    sent.push({ method: request.method, url, body: body ? JSON.parse(body) : undefined })
    const json = (b: unknown, status = 200) => new Response(JSON.stringify(b), { status, headers: { 'content-type': 'application/json' } })
    const none = () => json({ type: 'x', title: 'Not found', status: 404 }, 404)
    if (url.endsWith('/stacks/cache')) return json(DETAIL)
    if (url.endsWith('/versions')) return json({ items: [], total: 0 })
    if (url.endsWith('/variables')) return json([])
    if (url.endsWith('/validate')) return json(VALIDATION)
    if (url.endsWith('/ai/provider')) {
      return opts.provider ? json({ base_url: 'http://llm', model: 'qwen', api_key_set: false, timeout_s: 60, max_tokens: 4096, monthly_token_budget: 0, tokens_this_month: 0, json_schema: true }) : none()
    }
    if (url.endsWith('/template')) return opts.template ? json({ source: 'builtin', id: 'redis', version: '1.0.0', available: '1.1.0', size: {}, inputs: {} }) : none()
    if (url.endsWith('/template/upgrade')) {
      return json({ from: '1.0.0', to: '1.1.0', diff: '--- a\n+++ b\n@@ -1 +1 @@\n-    image: redis:7.4\n+    image: redis:7.4.1\n', inputs: [{ name: 'REDIS_PASSWORD', secret: true, origin: 'kept' }] })
    }
    if (url.endsWith('/optimize')) return json({ summary: 'Add a healthcheck.', compose: `${CONTENT}    healthcheck: {}\n`, diff: '', advice: [], model: 'qwen' })
    return none()
  })
  return sent
}

async function mountView() {
  useSessionStore().setInfo({
    user: { id: 'u', username: 'ada', display_name: '', is_admin: false, disabled: false, created_at: '2026-01-01T00:00:00Z' },
    organizations: [{ organization: { id: 'o', slug: 'default', name: 'Default', created_at: '2026-01-01T00:00:00Z' }, role: 'admin' }],
    csrf_token: 'csrf',
  } as never)
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { render: () => null } }] })
  await router.push('/o/default/stacks/cache')
  const w = mount(StackView, { props: { stack: 'cache' }, attachTo: document.body, global: { plugins: [router], stubs: { teleport: { template: '<div><slot /></div>' } } } })
  for (let i = 0; i < 4; i++) await flushPromises()
  return w
}

describe('the stack editor', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.unstubAllGlobals()
    sessionStorage.clear()
    document.body.innerHTML = ''
  })

  it('marks the advisor’s findings at their lines with their severity, and lists them under the editor', async () => {
    server()
    const w = await mountView()
    const marks = JSON.parse(w.find('[data-test=yaml-editor]').attributes('data-marks')!)
    expect(marks).toEqual([
      { line: 2, severity: 'warning', message: 'cache has no healthcheck\nFix: add a healthcheck [no-healthcheck]' },
      { line: 3, severity: 'info', message: 'no memory limit\nFix: set mem_limit [no-limits]' },
    ])
    const items = w.findAll('[data-test=stack-advice] [data-test=advice-item]')
    expect(items.map((i) => i.attributes('data-rule'))).toEqual(['no-healthcheck', 'no-limits'])
    w.unmount()
  })

  it('without an AI provider there is no AI button; without a template no template line', async () => {
    server()
    const w = await mountView()
    expect(w.find('[data-test=ask-ai]').exists()).toBe(false)
    expect(w.find('[data-test=optimize]').exists()).toBe(false)
    expect(w.find('[data-test=stack-template]').exists()).toBe(false)
    w.unmount()
  })

  it('with a provider: Ask AI opens the panel; Optimize shows the proposal and applies it to the editor', async () => {
    const sent = server({ provider: true })
    const w = await mountView()
    await w.find('[data-test=ask-ai]').trigger('click')
    // The panel is loaded when first opened.
    for (let i = 0; i < 20 && !w.find('[data-test=ask-ai-panel]').exists(); i++) await new Promise((r) => setTimeout(r, 20))
    expect(w.find('[data-test=ask-ai-panel]').exists()).toBe(true)
    await w.find('[data-test=optimize]').trigger('click')
    for (let i = 0; i < 3; i++) await flushPromises()
    expect(document.body.querySelector('[data-test=optimize-summary]')?.textContent).toBe('Add a healthcheck.')
    ;(document.body.querySelector('[data-test=optimize-apply]') as HTMLElement).click()
    await flushPromises()
    expect(w.find('[data-test=yaml-editor]').text()).toContain('healthcheck: {}')
    expect(w.find('[data-test=proposal-loaded]').exists()).toBe(true)
    // Nothing was saved: the user saves it as a new version.
    expect(sent.some((s) => s.method === 'PUT')).toBe(false)
    w.unmount()
  })

  it('shows the stack’s template and upgrades it after a dry run', async () => {
    const sent = server({ template: true })
    const w = await mountView()
    expect(w.find('[data-test=stack-template]').text()).toContain('from template redis v1.0.0')
    await w.find('[data-test=template-upgrade]').trigger('click')
    for (let i = 0; i < 3; i++) await flushPromises()
    expect(sent.filter((s) => s.url.endsWith('/template/upgrade')).map((s) => s.body)).toEqual([{ values: {}, dry_run: true }])
    expect(document.body.querySelector('[data-test=upgrade-diff]')?.textContent).toContain('+    image: redis:7.4.1')
    ;(document.body.querySelector('[data-test=confirm-upgrade]') as HTMLElement).click()
    for (let i = 0; i < 3; i++) await flushPromises()
    expect(sent.filter((s) => s.url.endsWith('/template/upgrade')).map((s) => s.body)).toEqual([{ values: {}, dry_run: true }, { values: {}, dry_run: false }])
    w.unmount()
  })

  it('opens with a fix proposed elsewhere (a diagnosis) in the editor, unsaved', async () => {
    server()
    offerProposal('default', 'cache', { compose: 'services:\n  cache:\n    image: redis:7.4.1\n', from: 'the fix proposed by the AI diagnosis' })
    const w = await mountView()
    expect(w.find('[data-test=yaml-editor]').text()).toContain('redis:7.4.1')
    expect(w.find('[data-test=proposal-loaded]').text()).toContain('the fix proposed by the AI diagnosis')
    expect(sessionStorage.length).toBe(0)
    w.unmount()
  })
})
