import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import SecondFactors from './SecondFactors.vue'
import LoginPolicySettings from './LoginPolicySettings.vue'
import { useSessionStore } from '@/stores/session'

function login(role: string, required: string[] = []) {
  useSessionStore().setInfo({
    user: { id: 'u', username: 'ada', display_name: '', is_admin: false, disabled: false, created_at: '2026-01-01T00:00:00Z' },
    organizations: [{ organization: { id: 'o', slug: 'default', name: 'Default', created_at: '2026-01-01T00:00:00Z' }, role }],
    csrf_token: 'csrf',
    second_factor_enrolment_required: required,
  } as never)
}

/** A fake server for the factor endpoints. */
function server() {
  let confirmed = false
  vi.stubGlobal('fetch', async (request: Request) => {
    const path = new URL(request.url).pathname
    let body: unknown = null
    if (path === '/api/v1/auth/factors') body = confirmed ? [{ kind: 'totp', confirmed: true, created_at: '2026-01-01T00:00:00Z', recovery_codes_left: 10 }] : []
    else if (path === '/api/v1/auth/factors/totp') body = { secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', otpauth_uri: 'otpauth://totp/x', qr_svg: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>' }
    else if (path.endsWith('/confirm')) {
      confirmed = true
      body = { codes: ['aaaa-bbbb-cccc-dddd'] }
    } else if (path === '/api/v1/auth/session') body = { user: { id: 'u', username: 'ada' }, organizations: [], second_factor_enrolment_required: [] }
    else if (path.endsWith('/login-policy')) body = { require_second_factor: 'admins', password_login: 'allowed', updated_by: 'olga' }
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })
  })
}

describe('SecondFactors', () => {
  beforeEach(() => setActivePinia(createPinia()))
  afterEach(() => vi.unstubAllGlobals())

  it('enrols: the QR code as an image (never markup), then the recovery codes once', async () => {
    login('viewer', ['default'])
    server()
    const view = mount(SecondFactors)
    await flushPromises()
    expect(view.find('[data-test=enrolment-required]').text()).toContain('default')
    await view.find('input[name=enrol-password]').setValue('pw')
    await view.find('form').trigger('submit')
    await flushPromises()
    const qr = view.find('[data-test=qr]')
    expect(qr.element.tagName).toBe('IMG')
    expect(qr.attributes('src')).toMatch(/^data:image\/svg\+xml;utf8,/)
    expect(view.find('script').exists()).toBe(false)
    await view.find('input[name=confirm-code]').setValue('123456')
    await view.find('form').trigger('submit')
    await flushPromises()
    expect(view.find('[data-test=recovery-codes]').text()).toBe('aaaa-bbbb-cccc-dddd')
    await view.find('[data-test=codes-saved]').trigger('click')
    await flushPromises()
    expect(view.find('[data-test=recovery-codes]').exists()).toBe(false)
    expect(view.find('[data-test=totp-enabled]').text()).toContain('10 recovery codes left')
    expect(view.find('[data-test=enrolment-required]').exists()).toBe(false)
  })
})

describe('LoginPolicySettings', () => {
  beforeEach(() => setActivePinia(createPinia()))
  afterEach(() => vi.unstubAllGlobals())

  it.each([
    ['viewer', false],
    ['owner', true],
  ])('%s: can save %s', async (role, canSave) => {
    login(role)
    server()
    const view = mount(LoginPolicySettings)
    await flushPromises()
    expect(view.text()).toContain('Last changed by olga')
    expect(view.find('[data-test=save-login-policy]').exists()).toBe(canSave)
  })
})
