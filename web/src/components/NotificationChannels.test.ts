import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { useSessionStore } from '@/stores/session'
import NotificationChannels from './NotificationChannels.vue'

const T = '2026-01-01T00:00:00Z'
const CHANNELS = [{ name: 'ops', kind: 'ntfy', settings: { url: 'https://ntfy.sh/wf' }, created_at: T }]

function server(refuse = false) {
  const sent: { method: string; url: string; body?: Record<string, unknown> }[] = []
  vi.stubGlobal('fetch', async (request: Request) => {
    const url = new URL(request.url).pathname
    const body = request.method === 'POST' ? await request.json().catch(() => undefined) : undefined
    sent.push({ method: request.method, url, body })
    const json = (b: unknown, status = 200) => new Response(JSON.stringify(b), { status, headers: { 'content-type': 'application/json' } })
    if (url.endsWith('/notification-channels') && request.method === 'GET') return json(CHANNELS)
    if (url.endsWith('/notification-channels') && refuse) {
      return json({ type: 'about:blank', title: 'Unprocessable', status: 422, detail: 'invalid', errors: [{ field: 'channel.host', message: 'not a host name' }] }, 422)
    }
    if (url.endsWith('/notification-channels')) return json({ name: body?.name, kind: 'email', settings: {}, created_at: T }, 201)
    if (url.endsWith('/test')) return new Response(null, { status: 204 })
    return json({ type: 'x', title: 'Not found', status: 404 }, 404)
  })
  return sent
}

async function mountAs(role: string) {
  useSessionStore().setInfo({
    user: { id: 'u', username: 'ada', display_name: '', is_admin: false, disabled: false, created_at: T },
    organizations: [{ organization: { id: 'o', slug: 'default', name: 'Default', created_at: T }, role }],
    csrf_token: 'csrf',
  } as never)
  const w = mount(NotificationChannels, { attachTo: document.body })
  for (let i = 0; i < 4; i++) await flushPromises()
  return w
}

async function chooseEmail(w: Awaited<ReturnType<typeof mountAs>>) {
  await w.find('[data-testid=channel-kind]').trigger('click')
  await flushPromises()
  const option = [...document.querySelectorAll('.el-select-dropdown__item')].find((e) => e.textContent?.trim() === 'Email') as HTMLElement
  option.click()
  await flushPromises()
}

describe('notification channels', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it('lists channels; a viewer can send a test but not add or delete', async () => {
    const sent = server()
    const w = await mountAs('viewer')
    expect(w.find('[data-testid=notification-channels]').text()).toContain('url: https://ntfy.sh/wf')
    expect(w.find('[data-testid=add-channel]').exists()).toBe(false)
    expect(w.find('[data-testid=channel-delete-ops]').exists()).toBe(false)
    await w.find('[data-testid=channel-test-ops]').trigger('click')
    await flushPromises()
    expect(sent.at(-1)).toMatchObject({ method: 'POST', url: '/api/v1/orgs/default/notification-channels/ops/test' })
    w.unmount()
  })

  it('adds an email channel: its fields, the password write-only, numbers and lists typed', async () => {
    const sent = server()
    const w = await mountAs('admin')
    await chooseEmail(w)
    expect(w.find('input[name=channel-password]').attributes('type')).toBe('password')
    await w.find('input[name=channel-name]').setValue('mail')
    await w.find('input[name=channel-host]').setValue('smtp.example.com')
    await w.find('input[name=channel-port]').setValue('587')
    await w.find('input[name=channel-password]').setValue('hunter2')
    await w.find('input[name=channel-from]').setValue('wf@example.com')
    await w.find('input[name=channel-to]').setValue('a@example.com, b@example.com')
    await w.find('[data-testid=add-channel]').trigger('submit')
    await flushPromises()
    expect(sent.find((s) => s.method === 'POST')?.body).toEqual({
      name: 'mail',
      channel: { kind: 'email', host: 'smtp.example.com', port: 587, password: 'hunter2', from: 'wf@example.com', to: ['a@example.com', 'b@example.com'] },
    })
    w.unmount()
  })

  it('a required field is asked for before sending; a 422 shows at its field', async () => {
    const sent = server(true)
    const w = await mountAs('admin')
    await chooseEmail(w)
    await w.find('input[name=channel-name]').setValue('mail')
    await w.find('[data-testid=add-channel]').trigger('submit')
    await flushPromises()
    expect(sent.some((s) => s.method === 'POST')).toBe(false)
    await vi.waitFor(() => expect(w.find('.el-form-item.is-error').text()).toContain('SMTP host is required'))
    await w.find('input[name=channel-host]').setValue('bad host')
    await w.find('input[name=channel-from]').setValue('wf@example.com')
    await w.find('input[name=channel-to]').setValue('a@example.com')
    await w.find('[data-testid=add-channel]').trigger('submit')
    await flushPromises()
    await vi.waitFor(() => expect(w.find('.el-form-item.is-error .el-form-item__error').text()).toBe('not a host name'))
    w.unmount()
  })
})
