// The logged-in user, their organizations and roles, the CSRF token and the current org.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, call } from '@/api/client'
import { assertionJson, requestOptions } from '@/api/webauthn'
import type { components } from '@/api/schema'

export type SessionInfo = components['schemas']['SessionInfo']
export type Role = components['schemas']['Role']

const ORG_KEY = 'windflow.org'
const RANK: Record<string, number> = { viewer: 1, operator: 2, admin: 3, owner: 4 }

export const useSessionStore = defineStore('session', () => {
  const info = ref<SessionInfo | null>(null)
  const orgSlug = ref<string | null>(localStorage.getItem(ORG_KEY))
  const loaded = ref(false)

  const user = computed(() => info.value?.user ?? null)
  const organizations = computed(() => info.value?.organizations ?? [])
  const membership = computed(
    () =>
      organizations.value.find((m) => m.organization.slug === orgSlug.value) ??
      organizations.value[0] ??
      null,
  )
  const org = computed(() => membership.value?.organization.slug ?? '')
  const role = computed(() => membership.value?.role ?? 'viewer')
  /** Permissions granted beyond the role on some environment or stack (or through a team). */
  const scoped = computed(() => membership.value?.scoped_permissions ?? [])
  /**
   * Deploy, roll back, cancel, act on containers (operator and up, or granted on some
   * environment or stack: the server checks each action where it happens).
   */
  const canDeploy = computed(() => (RANK[role.value] ?? 0) >= 2 || scoped.value.includes('deploy'))
  /** Edit a stack's content and variables (admin, or granted on some stack). */
  const canConfigureStacks = computed(() => (RANK[role.value] ?? 0) >= 3 || scoped.value.includes('configure'))
  const canConfigure = computed(() => (RANK[role.value] ?? 0) >= 3)
  /** Edit, save and delete workflows (admin). */
  const canEditWorkflows = computed(() => (RANK[role.value] ?? 0) >= 3)
  /** Run workflows, re-run from a node, cancel runs, decide approvals (operator and up). */
  const canRunWorkflows = computed(() => (RANK[role.value] ?? 0) >= 2)
  const canManageMembers = computed(() => (RANK[role.value] ?? 0) >= 4)
  const isServerAdmin = computed(() => Boolean(user.value?.is_admin))

  function setInfo(next: SessionInfo | null) {
    info.value = next
    loaded.value = true
  }

  async function load(): Promise<boolean> {
    try {
      setInfo(await call(api.GET('/api/v1/auth/session')))
      return true
    } catch {
      setInfo(null)
      return false
    }
  }

  /** A password login; `code` (TOTP or recovery code) for an account with a second factor. */
  async function login(username: string, password: string, code?: string) {
    const body = code ? { username, password, code } : { username, password }
    setInfo(await call(api.POST('/api/v1/auth/login', { body })))
  }

  /** Logs in with one of `username`'s passkeys (the browser asks the authenticator). */
  async function loginWithPasskey(username: string) {
    const challenge = await call(api.POST('/api/v1/auth/passkeys/login', { body: { username } }))
    const credential = (await navigator.credentials.get(requestOptions(challenge.options as Record<string, unknown>))) as PublicKeyCredential | null
    if (!credential) throw new Error('the authenticator gave no passkey')
    setInfo(
      await call(api.POST('/api/v1/auth/passkeys/login/finish', { body: { ceremony: challenge.ceremony, credential: assertionJson(credential) } as never })),
    )
  }

  /** Organizations whose login policy wants a second factor this user has not enrolled. */
  const enrolmentRequired = computed(() => info.value?.second_factor_enrolment_required ?? [])
  const needsEnrolment = (slug: string) => enrolmentRequired.value.includes(slug)

  /** Ends the session; answers the provider's logout URL when it was a single sign-on. */
  async function logout(): Promise<string | undefined> {
    try {
      const answer = await call(api.POST('/api/v1/auth/logout'))
      return answer?.end_session_url ?? undefined
    } finally {
      setInfo(null)
      // What this tab kept of the organization's pages goes with the session.
      sessionStorage.clear()
    }
  }

  const isMember = (slug: string) => organizations.value.some((m) => m.organization.slug === slug)
  /** `p` (e.g. `/stacks/web`) inside the current organization: `/o/<org>/stacks/web`. */
  const at = (p = '') => `/o/${encodeURIComponent(org.value)}${p === '/' ? '' : p}`

  function selectOrg(slug: string) {
    orgSlug.value = slug
    localStorage.setItem(ORG_KEY, slug)
  }

  return {
    info, loaded, user, organizations, org, role, scoped, canDeploy, canConfigure, canConfigureStacks, canEditWorkflows, canRunWorkflows, canManageMembers, isServerAdmin,
    setInfo, load, login, loginWithPasskey, logout, selectOrg, isMember, at, enrolmentRequired, needsEnrolment,
  }
})
