import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { useSessionStore } from '@/stores/session'
import BackupRepositories from './BackupRepositories.vue'

const T = '2026-01-01T00:00:00Z'
const REPOSITORIES = [
  {
    id: 'a', name: 'offsite', location: { kind: 's3', endpoint: 'https://s3.example.com', bucket: 'wf' }, target: 'local', credentials_set: true,
    initialized_at: T, checked_at: T, check_ok: true, check_message: null, created_at: T,
  },
  {
    id: 'b', name: 'nas', location: { kind: 'folder', path: 'wf-backups', volume: true }, target: 'local', credentials_set: false,
    initialized_at: T, checked_at: T, check_ok: false, check_message: 'pack abc: ciphertext verification failed', created_at: T,
  },
]

function server() {
  const sent: { method: string; url: string; body?: Record<string, unknown> }[] = []
  vi.stubGlobal('fetch', async (request: Request) => {
    const path = new URL(request.url).pathname
    const body = request.method === 'POST' ? await request.json().catch(() => undefined) : undefined
    sent.push({ method: request.method, url: path, body })
    const json = (b: unknown, status = 200) => new Response(JSON.stringify(b), { status, headers: { 'content-type': 'application/json' } })
    if (path.endsWith('/backup/repositories') && request.method === 'GET') return json(REPOSITORIES)
    if (path.endsWith('/backup/repositories')) {
      return json({ type: 'about:blank', title: 'Unprocessable', status: 422, detail: 'invalid', errors: [{ field: 'location.bucket', message: '"Wf": 3 to 63 lower-case letters' }] }, 422)
    }
    if (path.endsWith('/targets')) return json([{ name: 'local' }])
    if (path.endsWith('/environments')) return json([])
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
  const w = mount(BackupRepositories, { attachTo: document.body })
  for (let i = 0; i < 4; i++) await flushPromises()
  return w
}

describe('backup repositories', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it('lists each repository with its location and last check', async () => {
    server()
    const w = await mountAs('viewer')
    const table = w.find('[data-test=backup-repositories]').text()
    expect(table).toContain('https://s3.example.com/wf')
    expect(table).toContain('volume wf-backups')
    expect(w.find('[data-test=check-offsite] [data-check]').attributes('data-check')).toBe('ok')
    expect(w.find('[data-test=check-nas]').text()).toContain('ciphertext verification failed')
    // A viewer reads; nothing to check, add or delete.
    expect(w.find('[data-test=check-now-offsite]').exists()).toBe(false)
    expect(w.find('[data-test=add-repository]').exists()).toBe(false)
    w.unmount()
  })

  it('adds an S3 repository: the secret is a write-only field; a 422 shows at its field', async () => {
    const sent = server()
    const w = await mountAs('admin')
    expect(w.find('input[name=s3-secret-key]').attributes('type')).toBe('password')
    await w.find('input[name=repository-name]').setValue('cold')
    await w.find('input[name=s3-endpoint]').setValue('https://s3.example.com')
    await w.find('input[name=s3-bucket]').setValue('Wf')
    await w.find('input[name=s3-access-key-id]').setValue('AK')
    await w.find('input[name=s3-secret-key]').setValue('SK')
    await w.find('[data-test=add-repository]').trigger('submit')
    await flushPromises()
    expect(sent.find((s) => s.method === 'POST')?.body).toEqual({
      name: 'cold', target: 'local', location: { kind: 's3', endpoint: 'https://s3.example.com', bucket: 'Wf' }, access_key_id: 'AK', secret_access_key: 'SK',
    })
    await vi.waitFor(() => expect(w.find('.el-form-item__error').text()).toContain('lower-case letters'))
    expect(w.findAll('.el-form-item.is-error').map((f) => f.find('label').text())).toEqual(['Bucket'])
    w.unmount()
  })
})
