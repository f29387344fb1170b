import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { router } from './index'
import { useSessionStore } from '@/stores/session'

function session(required: string[]) {
  return {
    user: { id: 'u1', username: 'vera', display_name: '', is_admin: false, disabled: false, created_at: '2026-01-01T00:00:00Z' },
    organizations: ['default', 'other'].map((slug) => ({ organization: { id: slug, slug, name: slug, created_at: '2026-01-01T00:00:00Z' }, role: 'viewer' })),
    csrf_token: 'csrf',
    second_factor_enrolment_required: required,
  }
}

describe('router: organizations that require a second factor', () => {
  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
  })

  it('sends their pages to the enrolment tab, and leaves other organizations alone', async () => {
    useSessionStore().setInfo(session(['default']) as never)
    await router.push('/o/default/stacks')
    expect(router.currentRoute.value.name).toBe('admin')
    expect(router.currentRoute.value.params.org).toBe('default')
    expect(router.currentRoute.value.query.tab).toBe('security')
    await router.push('/o/other/deployments')
    expect(router.currentRoute.value.name).toBe('deployments')
  })

  it('lets an enrolled member through', async () => {
    useSessionStore().setInfo(session([]) as never)
    await router.push('/o/default/certificates')
    expect(router.currentRoute.value.name).toBe('certificates')
  })
})
