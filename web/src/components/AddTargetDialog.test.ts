import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import AddTargetDialog from './AddTargetDialog.vue'
import { useSessionStore } from '@/stores/session'

const SSH_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nsecret-key-material\n-----END OPENSSH PRIVATE KEY-----\n'

/** Answers the dialog's API calls like the server would, recording the requests. */
function server(answer: (url: string, body: unknown) => { status: number; body: unknown }) {
  const requests: { url: string; body: unknown }[] = []
  vi.stubGlobal('fetch', async (request: Request) => {
    const body = request.method === 'GET' ? null : await request.json()
    const url = new URL(request.url).pathname
    requests.push({ url, body })
    const r = answer(url, body)
    const type = r.status >= 400 ? 'application/problem+json' : 'application/json'
    return new Response(JSON.stringify(r.body), { status: r.status, headers: { 'content-type': type } })
  })
  return requests
}

async function open() {
  const w = mount(AddTargetDialog, { props: { modelValue: true }, attachTo: document.body, global: { stubs: { teleport: { template: '<div><slot /></div>' } } } })
  await flushPromises() // the dialog renders its content once opened
  return w
}

describe('the Add a target dialog', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    useSessionStore().setInfo({
      user: { id: 'u', username: 'ada', display_name: '', is_admin: false, disabled: false, created_at: '2026-01-01T00:00:00Z' },
      organizations: [{ organization: { id: 'o', slug: 'default', name: 'Default', created_at: '2026-01-01T00:00:00Z' }, role: 'admin' }],
      csrf_token: 'csrf',
    } as never)
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it('shows the TLS section for tcp:// and the SSH section for the SSH kind', async () => {
    const w = await open()
    expect(w.find('[data-test=tls-section]').exists()).toBe(false)
    await w.find('input[name=target-endpoint]').setValue('tcp://edge:2376')
    expect(w.find('[data-test=tls-section]').exists()).toBe(true)
    await w.find('[data-test=kind-ssh] input').setValue(true)
    expect(w.find('[data-test=ssh-section]').exists()).toBe(true)
    expect(w.find('[data-test=tls-section]').exists()).toBe(false)
    expect((w.find('input[name=target-endpoint]').element as HTMLInputElement).value).toBe('tcp://edge:2376')
    await w.find('[data-test=kind-agent] input').setValue(true)
    expect(w.find('input[name=target-endpoint]').exists()).toBe(false)
    expect(w.find('[data-test=token-lifetime]').exists()).toBe(true)
    w.unmount()
  })

  it('shows a server field error at its field, not in a toast', async () => {
    const requests = server(() => ({
      status: 422,
      body: { type: 'about:blank', title: 'Invalid', status: 422, detail: 'ssh.private_key: expected PEM text', errors: [{ field: 'ssh.private_key', message: 'expected PEM text (-----BEGIN …PRIVATE KEY…)' }] },
    }))
    const w = await open()
    await w.find('[data-test=kind-ssh] input').setValue(true)
    await w.find('input[name=target-name]').setValue('web-1')
    await w.find('input[name=target-endpoint]').setValue('ssh://deploy@web-1')
    await w.find('textarea[name=ssh-private-key]').setValue('not a key')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(requests).toEqual([
      { url: '/api/v1/orgs/default/targets', body: { name: 'web-1', kind: 'ssh', endpoint: 'ssh://deploy@web-1', ssh: { private_key: 'not a key', host_key: null } } },
    ])
    await new Promise((r) => setTimeout(r, 150)) // Element Plus shows a field's message after 100 ms
    await flushPromises()
    const error = w.find('.el-form-item.is-error')
    expect(error.exists()).toBe(true)
    expect(error.find('textarea[name=ssh-private-key]').exists()).toBe(true)
    expect(error.text()).toContain('expected PEM text')
    expect(document.querySelector('.el-message')).toBeNull()
    w.unmount()
  })

  it('an SSH target is created and its key wiped from the form', async () => {
    const requests = server((_, body) => ({ status: 201, body: { ...(body as object), id: 't', labels: {}, status: 'unknown', created_at: '2026-01-01T00:00:00Z', has_client_key: true } }))
    const w = await open()
    await w.find('[data-test=kind-ssh] input').setValue(true)
    await w.find('input[name=target-name]').setValue('web-1')
    await w.find('input[name=target-endpoint]').setValue('ssh://deploy@web-1')
    await w.find('textarea[name=ssh-private-key]').setValue(SSH_KEY)
    await w.find('input[name=ssh-host-key]').setValue('SHA256:abc')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(requests[0].body).toEqual({ name: 'web-1', kind: 'ssh', endpoint: 'ssh://deploy@web-1', ssh: { private_key: SSH_KEY, host_key: 'SHA256:abc' } })
    expect(w.emitted('added')).toEqual([['web-1']])
    expect(w.emitted('update:modelValue')).toEqual([[false]])
    expect(w.html()).not.toContain('secret-key-material')
    w.unmount()
  })

  it('an agent target shows its token once, in the command to run on the host', async () => {
    const requests = server(() => ({ status: 201, body: { token: 'wfe_tok3n', target: 'edge-7', expires_at: '2026-01-01T01:00:00Z' } }))
    const w = await open()
    await w.find('[data-test=kind-agent] input').setValue(true)
    await w.find('input[name=target-name]').setValue('edge-7')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(requests).toEqual([{ url: '/api/v1/orgs/default/agents/enrollments', body: { target: 'edge-7', ttl_seconds: 3600 } }])
    expect(w.find('[data-test=agent-command]').text()).toBe(`windflow agent --server ${location.origin} --token wfe_tok3n`)
    expect(w.text()).toContain('--ca-cert')
    w.unmount()
  })
})
