import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { useSessionStore } from '@/stores/session'
import StackBackups from './StackBackups.vue'

const T = '2026-01-01T00:00:00Z'
const POLICY = {
  stack: 'shop', source: 'compose', enabled: true,
  policy: { repository: 'offsite', schedule: '0 3 * * *', retention: { last: 3, daily: 7 } },
  next_backup_at: T, next_check_at: null, next_drill_at: null, last_success_at: T,
}
const RUN = {
  id: 'r1', kind: 'backup', status: 'succeeded', trigger: 'manual', stack: 'shop', repository: 'offsite', requested_by: 'ada', params: {},
  result: { size_bytes: 2048, added_bytes: 1024, items: [{ item: 'volume:data', snapshot: 's1' }] },
  error: null, attempts: 1, created_at: T, started_at: T, finished_at: T,
}
const SNAPSHOT = {
  id: 's1', run: 'r1', stack: 'shop', repository: 'offsite', item: 'volume:data', kind: 'volume', engine: null, path: '/data',
  files: 2, size_bytes: 2048, added_bytes: 1024, duration_ms: 800, created_at: T,
}
const PLAN = { from_run: 'r1', stack: 'shop', target: 'local', items: [{ item: 'volume:data', snapshot: 's1', replaces: 'shop_data', stops: ['files'], size_bytes: 2048 }] }

function server() {
  const sent: { method: string; url: string; body?: Record<string, unknown> }[] = []
  vi.stubGlobal('fetch', async (request: Request) => {
    const url = new URL(request.url)
    const path = url.pathname
    const body = request.method === 'POST' || request.method === 'PUT' ? await request.json().catch(() => undefined) : undefined
    sent.push({ method: request.method, url: path + url.search, body })
    const json = (b: unknown, status = 200) => new Response(JSON.stringify(b), { status, headers: { 'content-type': 'application/json' } })
    if (path.endsWith('/stacks/shop/backup') && request.method === 'PUT') {
      return json({ type: 'about:blank', title: 'Unprocessable', status: 422, detail: 'the backup policy is not valid', errors: [{ field: 'x-windflow.backup.schedule', message: 'not a cron schedule' }] }, 422)
    }
    if (path.endsWith('/stacks/shop/backup')) return json(POLICY)
    if (path.endsWith('/backup/runs')) return json([RUN])
    if (path.endsWith('/backup/snapshots')) return json([SNAPSHOT])
    if (path.endsWith('/backup/snapshots/s1/files')) {
      return url.searchParams.get('path') === 'notes'
        ? json([{ name: 'hello.txt', kind: 'file', path: 'notes/hello.txt', size: 26, mtime: T }])
        : json([{ name: 'notes', kind: 'dir', path: 'notes', size: null, mtime: T }])
    }
    if (path.endsWith('/backup/restore')) return json(body?.dry_run ? PLAN : { ...PLAN, run: { ...RUN, id: 'r2', kind: 'restore', status: 'succeeded' } }, body?.dry_run ? 200 : 202)
    if (path.endsWith('/stacks')) return json({ items: [], total: 0 })
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
  const w = mount(StackBackups, { props: { stack: 'shop', services: ['files'] }, attachTo: document.body, global: { stubs: { teleport: { template: '<div><slot /></div>' } } } })
  for (let i = 0; i < 4; i++) await flushPromises()
  return w
}

describe('a stack’s backups', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
  })

  it('shows the policy, the runs with their sizes and the snapshots', async () => {
    server()
    const w = await mountAs('admin')
    expect(w.find('[data-test=policy-source]').attributes('data-source')).toBe('compose')
    expect(w.find('[data-test=policy-repository]').text()).toBe('offsite')
    expect(w.find('[data-test=backup-policy]').text()).toContain('keep last 3, daily 7')
    expect(w.find('[data-test=run-row]').attributes('data-status')).toBe('succeeded')
    expect(w.find('[data-test=run-size]').text()).toBe('2.0 KiB')
    expect(w.find('[data-test="snapshot-files-volume:data"]').exists()).toBe(true)
    w.unmount()
  })

  it('hides "Back up now", the policy editor and restores from a viewer; an operator backs up but does not restore', async () => {
    server()
    const viewer = await mountAs('viewer')
    for (const control of ['backup-now', 'restore-open', 'policy-edit', 'drill-now']) expect(viewer.find(`[data-test=${control}]`).exists()).toBe(false)
    expect(viewer.find('[data-test^=snapshot-restore-]').exists()).toBe(false)
    viewer.unmount()
    setActivePinia(createPinia())
    const operator = await mountAs('operator')
    expect(operator.find('[data-test=backup-now]').exists()).toBe(true)
    expect(operator.find('[data-test=restore-open]').exists()).toBe(false)
    operator.unmount()
  })

  it('browses a snapshot’s folders; only admins get download links', async () => {
    server()
    const w = await mountAs('admin')
    await w.find('[data-test="snapshot-files-volume:data"]').trigger('click')
    await flushPromises()
    await document.querySelector<HTMLElement>('[data-test=entry-notes]')!.click()
    await flushPromises()
    const link = document.querySelector<HTMLAnchorElement>('[data-test="download-hello.txt"]')!
    expect(link.getAttribute('href')).toBe('/api/v1/orgs/default/backup/snapshots/s1/download?path=notes%2Fhello.txt')
    w.unmount()
  })

  it('shows a policy’s errors at their fields', async () => {
    const sent = server()
    const w = await mountAs('admin')
    await w.find('[data-test=policy-edit]').trigger('click')
    expect((w.find('textarea[name=policy-text]').element as HTMLTextAreaElement).value).toContain('repository: offsite')
    await w.find('textarea[name=policy-text]').setValue('repository: offsite\nschedule: every day\n')
    await w.find('[data-test=policy-save]').trigger('click')
    await flushPromises()
    expect(sent.find((s) => s.method === 'PUT')?.body).toEqual({ enabled: true, policy: { repository: 'offsite', schedule: 'every day' } })
    expect(w.find('[data-test=policy-errors]').text()).toContain('schedule: not a cron schedule')
    await w.find('textarea[name=policy-text]').setValue('repository: [offsite')
    await w.find('[data-test=policy-save]').trigger('click')
    await flushPromises()
    expect(w.find('[data-test=policy-errors]').text()).toContain('not YAML')
    w.unmount()
  })

  it('restores through the wizard: a dry run’s plan first, then the run', async () => {
    const sent = server()
    const w = await mountAs('admin')
    await w.find('[data-test=restore-open]').trigger('click')
    await flushPromises()
    const click = async (test: string) => {
      document.querySelector<HTMLElement>(`[data-test=${test}]`)!.click()
      await flushPromises()
    }
    await click('restore-next')
    await click('restore-next')
    await click('restore-plan-button')
    expect(sent.filter((s) => s.url.endsWith('/restore')).map((s) => s.body)).toEqual([{ dry_run: true, run: 'r1' }])
    expect(document.querySelector('[data-test=plan-replaces]')!.textContent).toBe('shop_data')
    expect(document.querySelector('[data-test=plan-stops]')!.textContent).toBe('files')
    await click('restore-confirm')
    expect(sent.filter((s) => s.url.endsWith('/restore')).map((s) => s.body)).toEqual([{ dry_run: true, run: 'r1' }, { dry_run: false, run: 'r1' }])
    expect(document.querySelector('[data-test=restore-progress]')!.getAttribute('data-status')).toBe('succeeded')
    w.unmount()
  })
})
