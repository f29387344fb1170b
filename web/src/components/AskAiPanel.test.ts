import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { useSessionStore } from '@/stores/session'
import { configureClient } from '@/api/client'

vi.mock('./DiffView.vue', () => ({
  __esModule: true,
  default: { props: ['left', 'right'], template: '<pre data-test="diff" :data-left="left">{{ right }}</pre>' },
}))
import AskAiPanel from './AskAiPanel.vue'

const RESULT = {
  compose: 'services:\n  redis:\n    image: redis:7.4\n', rounds: [{ round: 1, problems: ['x.yaml:3: image: not pinned'] }, { round: 2, problems: [] }],
  advice: [{ rule: 'no-restart', severity: 'info', field: 'services.redis', line: 2, message: 'no restart policy', fix: 'restart: unless-stopped' }],
  plan: ['+ network gen_default', '+ container gen-redis-1'], model: 'qwen2.5-coder', prompt_tokens: 900, completion_tokens: 300,
}
const EVENTS = [
  'event: progress\ndata: {"step":"asking","round":1,"max_rounds":3}\n\n',
  'event: progress\ndata: {"step":"answered","round":1,"prompt_tokens":400,"completion_tokens":150,"duration_ms":2100}\n\nevent: progress\ndata: {"step":"checked","round":1,"errors":1,"warnings":0}\n\n',
  'event: progress\ndata: {"step":"asking","round":2,"max_rounds":3}\n\nevent: result\ndata: ',
  `${JSON.stringify(RESULT)}\n\n`,
]

function stream(parts: string[], hang = false) {
  const sent: { url: string; init: RequestInit }[] = []
  vi.stubGlobal('fetch', async (url: string | Request, init: RequestInit) => {
    // The targets (for the optional target select) come through the typed client.
    if (typeof url !== 'string') return new Response('[]', { status: 200, headers: { 'content-type': 'application/json' } })
    sent.push({ url, init })
    const encoder = new TextEncoder()
    const body = new ReadableStream({
      start(c) {
        for (const p of parts) c.enqueue(encoder.encode(p))
        if (!hang) c.close()
        init.signal?.addEventListener('abort', () => c.error(new DOMException('aborted', 'AbortError')))
      },
    })
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } })
  })
  return sent
}

function login() {
  useSessionStore().setInfo({
    user: { id: 'u', username: 'ada', display_name: '', is_admin: false, disabled: false, created_at: '2026-01-01T00:00:00Z' },
    organizations: [{ organization: { id: 'o', slug: 'default', name: 'Default', created_at: '2026-01-01T00:00:00Z' }, role: 'operator' }],
    csrf_token: 'csrf',
  } as never)
  configureClient({ csrfToken: () => 'csrf', onUnauthorized: () => {} })
}

describe('Ask AI', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.unstubAllGlobals()
    login()
  })

  it('streams the progress, then shows the result as a diff with the plan and advice, and applies it', async () => {
    const sent = stream(EVENTS)
    const w = mount(AskAiPanel, { props: { current: 'services: {}\n' } })
    await w.find('textarea[name=ai-description]').setValue('a redis cache')
    await w.find('form').trigger('submit')
    await flushPromises()
    await flushPromises()
    const call = sent.find((s) => s.url.endsWith('/ai/generate'))!
    expect(call.url).toBe('/api/v1/orgs/default/ai/generate')
    expect((call.init.headers as Record<string, string>)['x-csrf-token']).toBe('csrf')
    expect(JSON.parse(call.init.body as string)).toEqual({ description: 'a redis cache', max_rounds: 3 })
    expect(w.findAll('[data-test=ai-progress] li').map((l) => l.text())).toEqual([
      'round 1/3: asking the model…',
      'round 1/3: answered (550 tokens, 2.1 s)',
      'round 1/3: checked: 1 error, 0 warnings',
      'round 2/3: asking the model…',
    ])
    expect(w.find('[data-test=diff]').text()).toContain('image: redis:7.4')
    expect(w.find('[data-test=diff]').attributes('data-left')).toBe('services: {}\n')
    expect(w.find('[data-test=ai-plan]').text()).toContain('+ container gen-redis-1')
    expect(w.find('[data-test=ai-meta]').text()).toContain('qwen2.5-coder · 2 rounds · 1200 tokens')
    expect(w.find('[data-test=advice]').text()).toContain('no restart policy')
    expect(w.find('[data-test=ai-rounds]').text()).toContain('x.yaml:3: image: not pinned')
    await w.find('[data-test=ai-apply]').trigger('click')
    expect(w.emitted('apply')).toEqual([[RESULT.compose]])
  })

  it('Stop aborts the stream', async () => {
    const sent = stream(EVENTS.slice(0, 1), true)
    const w = mount(AskAiPanel, { props: { current: '' } })
    await w.find('textarea[name=ai-description]').setValue('a redis cache')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(w.find('[data-test=ai-cancel]').text()).toBe('Stop')
    await w.find('[data-test=ai-cancel]').trigger('click')
    await flushPromises()
    const call = sent.find((s) => s.url.endsWith('/ai/generate'))!
    expect(call.init.signal?.aborted).toBe(true)
    expect(w.findAll('[data-test=ai-progress] li').map((l) => l.text()).at(-1)).toBe('cancelled')
    expect(w.find('[data-test=ai-apply]').exists()).toBe(false)
  })

  it('shows the server’s problem when the generation fails', async () => {
    stream(['event: progress\ndata: {"step":"asking","round":1,"max_rounds":3}\n\n', 'event: error\ndata: {"type":"x","title":"Bad gateway","status":502,"detail":"no stack that loads after 3 rounds"}\n\n'])
    const w = mount(AskAiPanel, { props: { current: '' } })
    await w.find('textarea[name=ai-description]').setValue('something impossible')
    await w.find('form').trigger('submit')
    await flushPromises()
    await flushPromises()
    expect(w.find('[data-test=ai-error]').text()).toContain('no stack that loads after 3 rounds')
  })
})
