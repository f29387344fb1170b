import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import { useSessionStore } from '@/stores/session'
import WorkflowRunView from './WorkflowRunView.vue'

const T = '2026-01-01T00:00:00Z'
const DOC = {
  name: 'ship',
  nodes: [
    { id: 'ok', type: 'approval', role: 'operator', message: 'Ship it?', position: { x: 0, y: 0 } },
    { id: 'go', type: 'deploy', stack: 'web', target: 'prod', position: { x: 300, y: 0 } },
  ],
  edges: [{ from: 'ok', to: 'go' }],
}
const RUN = {
  id: 'r1', workflow: 'ship', version: 2, status: 'waiting', trigger: { kind: 'manual', payload: {} }, inputs: {}, requested_by: 'ada', created_at: T, started_at: T,
  nodes: [
    { node: 'ok', status: 'waiting', attempt: 1, logs: [], started_at: T, approval: { role: 'operator', message: 'Ship it?' } },
    { node: 'go', status: 'pending', attempt: 1, logs: [] },
  ],
}

/** The EventSource the view opens: the test sends `run` events through it. */
class FakeEventSource {
  static CLOSED = 2
  static last: FakeEventSource | null = null
  readyState = 1
  url: string
  listeners = new Map<string, (e: { data: string }) => void>()
  constructor(url: string) {
    this.url = url
    FakeEventSource.last = this
  }
  addEventListener(event: string, fn: (e: { data: string }) => void) {
    this.listeners.set(event, fn)
  }
  send(event: string, data: unknown) {
    this.listeners.get(event)?.({ data: JSON.stringify(data) })
  }
  close() {
    this.readyState = 2
  }
}

function server() {
  const sent: { method: string; url: string; body?: unknown }[] = []
  vi.stubGlobal('EventSource', FakeEventSource)
  vi.stubGlobal('ResizeObserver', class { observe() {} unobserve() {} disconnect() {} })
  vi.stubGlobal('fetch', async (request: Request) => {
    const url = new URL(request.url).pathname
    const body = request.method === 'POST' ? await request.json().catch(() => undefined) : undefined
    sent.push({ method: request.method, url, body })
    const json = (b: unknown, status = 200) => new Response(JSON.stringify(b), { status, headers: { 'content-type': 'application/json' } })
    if (url.endsWith('/workflow-runs/r1') && request.method === 'GET') return json(RUN)
    if (url.endsWith('/workflows/ship/versions/2')) return json({ name: 'ship', version: 2, enabled: true, document: DOC, created_at: T, updated_at: T, updated_by: 'ada' })
    if (url.endsWith('/approvals/ok')) return json({ ...RUN, status: 'running', nodes: [{ ...RUN.nodes[0], status: 'succeeded', approval: null }, { ...RUN.nodes[1], status: 'running' }] })
    return json({ type: 'x', title: 'Not found', status: 404 }, 404)
  })
  return sent
}

async function mountView(role = 'operator') {
  useSessionStore().setInfo({
    user: { id: 'u', username: 'ada', display_name: '', is_admin: false, disabled: false, created_at: T },
    organizations: [{ organization: { id: 'o', slug: 'default', name: 'Default', created_at: T }, role }],
    csrf_token: 'csrf',
  } as never)
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { render: () => null } }] })
  await router.push('/o/default/workflows/ship/runs/r1')
  const w = mount(WorkflowRunView, { props: { name: 'ship', run: 'r1' }, global: { plugins: [router] }, attachTo: document.body })
  for (let i = 0; i < 6; i++) await flushPromises()
  return w
}

describe('a workflow run', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it("draws the version's nodes with their status, and follows the run's events", async () => {
    server()
    const w = await mountView()
    expect(w.find('[data-testid=node-status-ok]').text()).toBe('waiting')
    expect(w.find('[data-testid=node-status-go]').text()).toBe('pending')
    expect(FakeEventSource.last?.url).toBe('/api/v1/orgs/default/workflow-runs/r1/events')
    FakeEventSource.last!.send('run', {
      ...RUN, status: 'succeeded', finished_at: T,
      nodes: [{ ...RUN.nodes[0], status: 'succeeded' }, { ...RUN.nodes[1], status: 'succeeded', output: { deployment: 'd9', status: 'succeeded', target: 'prod' } }],
    })
    await flushPromises()
    expect(w.find('[data-testid=node-status-go]').text()).toBe('succeeded')
    expect(FakeEventSource.last?.readyState).toBe(2)
    await w.find('[data-testid=node-go]').trigger('click')
    await flushPromises()
    expect(w.find('[data-testid=node-output]').text()).toContain('"deployment": "d9"')
    expect(w.find('[data-testid=rerun-go]').exists()).toBe(true)
    w.unmount()
  })

  it('approves a waiting approval with a comment', async () => {
    const sent = server()
    const w = await mountView()
    await w.find('[data-testid=node-ok]').trigger('click')
    await flushPromises()
    expect(w.find('[data-testid=approval]').text()).toContain('Ship it?')
    await w.find('[data-testid=approval-comment]').setValue('looks good')
    await w.find('[data-testid=approve-ok]').trigger('click')
    await flushPromises()
    expect(sent.at(-1)).toEqual({ method: 'POST', url: '/api/v1/orgs/default/workflow-runs/r1/approvals/ok', body: { approve: true, comment: 'looks good' } })
    expect(w.find('[data-testid=node-status-ok]').text()).toBe('succeeded')
    w.unmount()
  })

  it('a viewer sees the run but cannot decide, cancel or re-run', async () => {
    server()
    const w = await mountView('viewer')
    await w.find('[data-testid=node-ok]').trigger('click')
    await flushPromises()
    expect(w.find('[data-testid=approve-ok]').exists()).toBe(false)
    expect(w.find('[data-testid=run-cancel]').exists()).toBe(false)
    w.unmount()
  })
})
