import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { useSessionStore } from '@/stores/session'
import AiSettings from './AiSettings.vue'

const PROVIDER = {
  base_url: 'http://llm:8000/v1', model: 'qwen2.5-coder', api_key_set: true, timeout_s: 120, max_tokens: 4096,
  monthly_token_budget: 1000000, tokens_this_month: 12345, json_schema: true,
}
const CALLS = [{ id: 'r1', user: 'ada', kind: 'generate', model: 'qwen2.5-coder', prompt_tokens: 900, completion_tokens: 300, duration_ms: 4200, outcome: 'ok', at: new Date().toISOString() }]

function server(provider: typeof PROVIDER | null) {
  const sent: { method: string; url: string; body?: Record<string, unknown> }[] = []
  vi.stubGlobal('fetch', async (request: Request) => {
    const url = new URL(request.url).pathname
    const body = request.method === 'PUT' ? await request.json() : undefined
    sent.push({ method: request.method, url, body })
    const json = (b: unknown, status = 200) => new Response(JSON.stringify(b), { status, headers: { 'content-type': 'application/json' } })
    if (url.endsWith('/ai/requests')) return json(CALLS)
    if (url.endsWith('/ai/provider') && request.method === 'PUT') return json({ ...PROVIDER, ...body, api_key_set: body?.api_key !== '' })
    if (url.endsWith('/ai/provider') && request.method === 'DELETE') return new Response(null, { status: 204 })
    if (url.endsWith('/ai/provider') && provider) return json(provider)
    return json({ type: 'x', title: 'Not found', status: 404 }, 404)
  })
  return sent
}

function login(role = 'admin') {
  useSessionStore().setInfo({
    user: { id: 'u', username: 'ada', display_name: '', is_admin: false, disabled: false, created_at: '2026-01-01T00:00:00Z' },
    organizations: [{ organization: { id: 'o', slug: 'default', name: 'Default', created_at: '2026-01-01T00:00:00Z' }, role }],
    csrf_token: 'csrf',
  } as never)
}

describe('AI settings', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.unstubAllGlobals()
    login()
  })

  it('shows the provider with its key state and the month’s usage, and the AI calls', async () => {
    server(PROVIDER)
    const w = mount(AiSettings)
    await flushPromises()
    expect((w.find('input[name=ai-base-url]').element as HTMLInputElement).value).toBe('http://llm:8000/v1')
    expect(w.find('[data-test=ai-key-state]').text()).toBe('set')
    // The key is write-only: no field holds it until the user replaces it.
    expect(w.find('input[name=ai-api-key]').exists()).toBe(false)
    expect(w.find('[data-test=ai-usage]').text()).toBe('This month: 12,345 of 1,000,000 tokens (1%)')
    expect(w.find('[data-test=ai-requests]').text()).toContain('900 + 300')
  })

  it('saves keeping the stored key, or with a new one', async () => {
    const sent = server(PROVIDER)
    const w = mount(AiSettings)
    await flushPromises()
    await w.find('input[name=ai-model]').setValue('llama3.1')
    await w.find('form').trigger('submit')
    await flushPromises()
    const first = sent.filter((s) => s.method === 'PUT').at(-1)!.body!
    expect(first).toMatchObject({ base_url: 'http://llm:8000/v1', model: 'llama3.1', json_schema: true, timeout_s: 120 })
    expect('api_key' in first).toBe(false)
    await w.findAll('.el-radio-button').find((b) => b.text() === 'replace')!.find('input').setValue(true)
    await w.find('input[name=ai-api-key]').setValue('sk-new')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(sent.filter((s) => s.method === 'PUT').at(-1)!.body!.api_key).toBe('sk-new')
  })

  it('without a provider: an empty form asking for the key', async () => {
    server(null)
    const w = mount(AiSettings)
    await flushPromises()
    expect(w.find('[data-test=ai-key-state]').text()).toBe('not set')
    expect(w.find('input[name=ai-api-key]').exists()).toBe(true)
    expect(w.find('[data-test=ai-delete]').exists()).toBe(false)
    expect(w.find('[data-test=ai-usage]').exists()).toBe(false)
  })
})
