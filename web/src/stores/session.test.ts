import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { useSessionStore } from './session'

function session(role: string, orgs = ['default']) {
  return {
    user: { id: 'u1', username: 'vera', display_name: '', is_admin: false, disabled: false, created_at: '2026-01-01T00:00:00Z' },
    organizations: orgs.map((slug) => ({ organization: { id: slug, slug, name: slug, created_at: '2026-01-01T00:00:00Z' }, role })),
    csrf_token: 'csrf',
  }
}

describe('session store', () => {
  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
  })

  it.each([
    ['viewer', false, false],
    ['operator', true, false],
    ['admin', true, true],
    ['owner', true, true],
  ])('%s: deploy %s, configure %s', (role, deploy, configure) => {
    const s = useSessionStore()
    s.setInfo(session(role) as never)
    expect([s.canDeploy, s.canConfigure]).toEqual([deploy, configure])
    // Workflows: operators run them, admins edit them.
    expect([s.canRunWorkflows, s.canEditWorkflows]).toEqual([deploy, configure])
  })

  it('remembers the chosen organization and falls back to the first', () => {
    const s = useSessionStore()
    s.setInfo(session('viewer', ['alpha', 'beta']) as never)
    expect(s.org).toBe('alpha')
    s.selectOrg('beta')
    expect(s.org).toBe('beta')
    expect(localStorage.getItem('windflow.org')).toBe('beta')
  })

  it('logs in through the API and keeps the CSRF token', async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify(session('admin')), { status: 200, headers: { 'content-type': 'application/json' } }))
    vi.stubGlobal('fetch', fetchMock)
    const s = useSessionStore()
    await s.login('vera', 'pw')
    expect(s.info?.csrf_token).toBe('csrf')
    const request = (fetchMock.mock.calls[0] as unknown as [Request])[0]
    expect(new URL(request.url, 'http://x').pathname).toBe('/api/v1/auth/login')
    vi.unstubAllGlobals()
  })
})
