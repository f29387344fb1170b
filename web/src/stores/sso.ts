// Single sign-on: the providers on the login page (public) and, for server administrators,
// the OpenID Connect providers with their group mappings. Views call these; these call the
// client.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, call } from '@/api/client'
import type { components } from '@/api/schema'

type S = components['schemas']
export type SsoProvider = S['SsoProvider']
export type SsoProviderRequest = S['SsoProviderRequest']
export type SsoProviderSummary = S['SsoProviderSummary']

export const useSsoStore = defineStore('sso', () => {
  const providers = ref<SsoProvider[]>([])
  async function loadPublic(): Promise<SsoProviderSummary[]> {
    return call(api.GET('/api/v1/auth/sso/providers'))
  }
  async function load() {
    providers.value = await call(api.GET('/api/v1/sso/providers'))
  }
  const add = (body: SsoProviderRequest) => call(api.POST('/api/v1/sso/providers', { body }))
  const update = (slug: string, body: SsoProviderRequest) =>
    call(api.PUT('/api/v1/sso/providers/{slug}', { params: { path: { slug } }, body }))
  const remove = (slug: string) => call(api.DELETE('/api/v1/sso/providers/{slug}', { params: { path: { slug } } }))
  return { providers, loadPublic, load, add, update, remove }
})

/** Where a "Sign in with …" button goes: the server's start URL, coming back to `next`. */
export function startUrl(slug: string, next: string): string {
  const back = next.startsWith('/') && !next.startsWith('//') ? next : '/'
  return `/api/v1/auth/sso/${encodeURIComponent(slug)}/start?return_to=${encodeURIComponent(back)}`
}
