import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import { useSessionStore } from '@/stores/session'
import { takeProposal } from '@/components/ai'

vi.mock('@/components/LogView.vue', () => ({ __esModule: true, default: { template: '<div />', methods: { write() {}, clear() {} } } }))
import DeploymentView from './DeploymentView.vue'

const FAILED = {
  id: 'd1', stack: 'cache', version: 3, target: 'local', kind: 'deploy', state: 'failed', error: 'service cache is unhealthy',
  requested_by: 'ada', created_at: '2026-01-01T00:00:00Z', attempts: 1,
}
const DIAGNOSIS = {
  cause: 'The healthcheck calls redis-cli without the password.', model: 'qwen',
  compose: 'services:\n  cache:\n    image: redis:7.4\n    environment: { REDISCLI_AUTH: x }\n',
  diff: '--- a\n+++ b\n@@ -3 +3,2 @@\n     image: redis:7.4\n+    environment: { REDISCLI_AUTH: x }\n',
}

class FakeEventSource {
  static CLOSED = 2
  readyState = 1
  addEventListener() {}
  close() {}
}

function server(provider: boolean, state = 'failed') {
  const sent: string[] = []
  vi.stubGlobal('EventSource', FakeEventSource)
  vi.stubGlobal('fetch', async (request: Request) => {
    const url = new URL(request.url).pathname
    sent.push(`${request.method} ${url}`)
    const json = (b: unknown, status = 200) => new Response(JSON.stringify(b), { status, headers: { 'content-type': 'application/json' } })
    if (url.endsWith('/deployments/d1')) return json({ ...FAILED, state })
    if (url.endsWith('/diagnose')) return json(DIAGNOSIS)
    if (url.endsWith('/ai/provider') && provider) {
      return json({ base_url: 'http://llm', model: 'qwen', api_key_set: false, timeout_s: 60, max_tokens: 4096, monthly_token_budget: 0, tokens_this_month: 0, json_schema: true })
    }
    return json({ type: 'x', title: 'Not found', status: 404 }, 404)
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
  await router.push('/o/default/deployments/d1')
  const w = mount(DeploymentView, { props: { id: 'd1' }, global: { plugins: [router] } })
  for (let i = 0; i < 4; i++) await flushPromises()
  return { w, router }
}

describe('diagnosing a failed deployment', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.unstubAllGlobals()
    sessionStorage.clear()
  })

  it('shows the cause and the fix, and opens the fix in the stack editor', async () => {
    const sent = server(true)
    const { w, router } = await mountView()
    await w.find('[data-test=diagnose]').trigger('click')
    await flushPromises()
    expect(sent).toContain('POST /api/v1/orgs/default/deployments/d1/diagnose')
    expect(w.find('[data-test=diagnosis-cause]').text()).toBe(DIAGNOSIS.cause)
    expect(w.find('[data-test=unified-diff]').text()).toContain('+    environment: { REDISCLI_AUTH: x }')
    await w.find('[data-test=open-fix]').trigger('click')
    await flushPromises()
    expect(router.currentRoute.value.path).toBe('/o/default/stacks/cache')
    expect(takeProposal('default', 'cache')?.compose).toBe(DIAGNOSIS.compose)
  })

  it('is offered only for a failed deployment, and only with a provider', async () => {
    server(false)
    const first = await mountView()
    expect(first.w.find('[data-test=deployment-state]').exists()).toBe(true)
    expect(first.w.find('[data-test=diagnose]').exists()).toBe(false)
    first.w.unmount()
    setActivePinia(createPinia())
    server(true, 'succeeded')
    const second = await mountView()
    expect(second.w.find('[data-test=diagnose]').exists()).toBe(false)
  })
})
