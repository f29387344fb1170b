import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { useFactorsStore } from './factors'
import { useSessionStore } from './session'

const SESSION = {
  user: { id: 'u1', username: 'vera', display_name: '', is_admin: false, disabled: false, created_at: '2026-01-01T00:00:00Z' },
  organizations: [{ organization: { id: 'o', slug: 'default', name: 'Default', created_at: '2026-01-01T00:00:00Z' }, role: 'viewer' }],
  csrf_token: 'csrf',
  second_factor_enrolment_required: [] as string[],
}

/** A fake server: the factor list, enrolment and confirmation; records each request. */
function server(confirmed: { value: boolean }) {
  const requests: { method: string; path: string; body: unknown }[] = []
  vi.stubGlobal('fetch', async (request: Request) => {
    const path = new URL(request.url).pathname
    const text = await request.text()
    requests.push({ method: request.method, path, body: text ? JSON.parse(text) : null })
    let body: unknown = null
    let status = 200
    if (path === '/api/v1/auth/factors') {
      body = confirmed.value ? [{ kind: 'totp', confirmed: true, created_at: '2026-01-01T00:00:00Z', recovery_codes_left: 10 }] : []
    } else if (path === '/api/v1/auth/factors/totp' && request.method === 'POST') {
      status = 201
      body = { secret: 'JBSWY3DPEHPK3PXP', otpauth_uri: 'otpauth://totp/WindFlow:vera?secret=JBSWY3DPEHPK3PXP', qr_svg: '<svg/>' }
    } else if (path === '/api/v1/auth/factors/totp/confirm') {
      confirmed.value = true
      body = { codes: ['aaaa-bbbb-cccc-dddd', 'eeee-ffff-gggg-hhhh'] }
    } else if (path === '/api/v1/auth/session') {
      body = SESSION
    } else if (path === '/api/v1/orgs/default/login-policy') {
      body = { require_second_factor: 'all', password_login: 'allowed', updated_by: 'vera' }
    }
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
  })
  return requests
}

describe('factors store', () => {
  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
    useSessionStore().setInfo({ ...SESSION, second_factor_enrolment_required: ['default'] } as never)
  })

  it('enrols: the secret until confirmed, then the recovery codes once, and reloads the session', async () => {
    const confirmed = { value: false }
    const requests = server(confirmed)
    const factors = useFactorsStore()
    const session = useSessionStore()
    expect(session.needsEnrolment('default')).toBe(true)
    await factors.start('my password')
    expect(requests[0]).toEqual({ method: 'POST', path: '/api/v1/auth/factors/totp', body: { password: 'my password' } })
    expect(factors.enrolment?.secret).toBe('JBSWY3DPEHPK3PXP')
    expect(factors.totp()).toBeNull()

    await factors.confirm(' 123456 ')
    const confirm = requests.find((r) => r.path.endsWith('/confirm'))
    expect(confirm?.body).toEqual({ code: '123456' })
    expect(factors.enrolment).toBeNull()
    expect(factors.recoveryCodes).toHaveLength(2)
    expect(factors.totp()?.recovery_codes_left).toBe(10)
    // The session was asked again: the organization no longer requires enrolment.
    expect(session.needsEnrolment('default')).toBe(false)
    factors.dismissCodes()
    expect(factors.recoveryCodes).toEqual([])
    vi.unstubAllGlobals()
  })

  it('reads and saves the login policy of the organization', async () => {
    const requests = server({ value: false })
    const factors = useFactorsStore()
    const saved = await factors.savePolicy('default', { require_second_factor: 'all', password_login: 'allowed' })
    expect(saved.require_second_factor).toBe('all')
    expect(requests[0]).toMatchObject({ method: 'PUT', path: '/api/v1/orgs/default/login-policy' })
    vi.unstubAllGlobals()
  })
})
