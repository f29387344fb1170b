// The caller's second factors (TOTP enrolment, recovery codes) and the organization's login policy.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, call } from '@/api/client'
import type { components } from '@/api/schema'
import { useSessionStore } from './session'

type S = components['schemas']
export type SecondFactor = S['SecondFactor']
export type TotpEnrolment = S['TotpEnrolment']
export type LoginPolicy = S['LoginPolicy']
export type SetLoginPolicy = S['SetLoginPolicyRequest']

export const useFactorsStore = defineStore('factors', () => {
  const factors = ref<SecondFactor[]>([])
  /** The pending enrolment: its secret and QR code, shown until confirmed or abandoned. */
  const enrolment = ref<TotpEnrolment | null>(null)
  /** Recovery codes just issued: shown once, then forgotten with `dismissCodes`. */
  const recoveryCodes = ref<string[]>([])

  const totp = () => factors.value.find((f) => f.kind === 'totp' && f.confirmed) ?? null

  async function load() {
    factors.value = await call(api.GET('/api/v1/auth/factors'))
  }

  async function start(password: string) {
    enrolment.value = await call(api.POST('/api/v1/auth/factors/totp', { body: { password } }))
    await load()
  }

  /** Proves the app has the secret; the session is reloaded (organizations may stop requiring enrolment). */
  async function confirm(code: string) {
    const answer = await call(api.POST('/api/v1/auth/factors/totp/confirm', { body: { code: code.trim() } }))
    recoveryCodes.value = answer.codes
    enrolment.value = null
    await load()
    await useSessionStore().load()
  }

  async function remove(proof: { password?: string; code?: string }) {
    await call(api.DELETE('/api/v1/auth/factors/totp', { body: proof }))
    recoveryCodes.value = []
    await load()
    await useSessionStore().load()
  }

  async function regenerate(code: string) {
    const answer = await call(api.POST('/api/v1/auth/factors/recovery-codes', { body: { code: code.trim() } }))
    recoveryCodes.value = answer.codes
    await load()
  }

  function dismissCodes() {
    recoveryCodes.value = []
  }

  async function loadPolicy(org: string): Promise<LoginPolicy> {
    return call(api.GET('/api/v1/orgs/{org}/login-policy', { params: { path: { org } } }))
  }

  async function savePolicy(org: string, body: SetLoginPolicy): Promise<LoginPolicy> {
    const saved = await call(api.PUT('/api/v1/orgs/{org}/login-policy', { params: { path: { org } }, body }))
    await useSessionStore().load()
    return saved
  }

  return { factors, enrolment, recoveryCodes, totp, load, start, confirm, remove, regenerate, dismissCodes, loadPolicy, savePolicy }
})
