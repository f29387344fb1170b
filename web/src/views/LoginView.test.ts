import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import LoginView from './LoginView.vue'
import { SECOND_FACTOR_REQUIRED } from '@/api/problem'

const SESSION = {
  user: { id: 'u1', username: 'vera', display_name: '', is_admin: false, disabled: false, created_at: '2026-01-01T00:00:00Z' },
  organizations: [],
  csrf_token: 'csrf',
}

describe('LoginView', () => {
  beforeEach(() => setActivePinia(createPinia()))
  afterEach(() => vi.unstubAllGlobals())

  it('asks for the code when the server wants a second factor, then sends it', async () => {
    const bodies: Record<string, string>[] = []
    vi.stubGlobal('fetch', async (request: Request) => {
      const body = JSON.parse(await request.text())
      bodies.push(body)
      if (!body.code) {
        const problem = { type: SECOND_FACTOR_REQUIRED, title: 'Unauthorized', status: 401, detail: 'send code', errors: [{ field: 'code', message: 'totp, recovery_code' }] }
        return new Response(JSON.stringify(problem), { status: 401, headers: { 'content-type': 'application/problem+json' } })
      }
      return new Response(JSON.stringify(SESSION), { status: 200, headers: { 'content-type': 'application/json' } })
    })
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: LoginView }] })
    await router.push('/login')
    const view = mount(LoginView, { global: { plugins: [router] } })
    await view.find('input[name=username]').setValue('vera')
    await view.find('input[name=password]').setValue('pw')
    expect(view.find('input[name=code]').exists()).toBe(false)
    await view.find('form').trigger('submit')
    await flushPromises()
    // No error shown: the code field appears instead.
    expect(view.find('[role=alert]').exists()).toBe(false)
    await view.find('input[name=code]').setValue(' 123456 ')
    await view.find('form').trigger('submit')
    await flushPromises()
    expect(bodies).toEqual([
      { username: 'vera', password: 'pw' },
      { username: 'vera', password: 'pw', code: '123456' },
    ])
    expect(router.currentRoute.value.path).toBe('/')
  })

  it('shows a wrong code as an error', async () => {
    vi.stubGlobal('fetch', async () => {
      const problem = { type: SECOND_FACTOR_REQUIRED, title: 'Unauthorized', status: 401, detail: 'the code is wrong or was already used' }
      return new Response(JSON.stringify(problem), { status: 401, headers: { 'content-type': 'application/problem+json' } })
    })
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: LoginView }] })
    await router.push('/login')
    const view = mount(LoginView, { global: { plugins: [router] } })
    await view.find('form').trigger('submit')
    await flushPromises()
    await view.find('input[name=code]').setValue('000000')
    await view.find('form').trigger('submit')
    await flushPromises()
    expect(view.find('[role=alert]').text()).toContain('the code is wrong')
  })
})
