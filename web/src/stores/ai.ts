// The organization's AI assistant: its provider (404: none, and every AI feature is hidden),
// generation as a stream of progress, diagnoses of failed deployments, proposals for a stack,
// and the audit of the calls.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, call } from '@/api/client'
import { ApiError, isApiError } from '@/api/problem'
import { postEventStream } from '@/api/sse'
import type { components } from '@/api/schema'
import type { GenerateProgress } from '@/components/ai'
import { useSessionStore } from './session'

type S = components['schemas']
export type AiProvider = S['AiProvider']
export type SetAiProviderRequest = S['SetAiProviderRequest']
export type AiGenerated = S['AiGenerated']
export type AiDiagnosis = S['AiDiagnosis']
export type AiProposal = S['AiProposal']
export type AiRequestRecord = S['AiRequestRecord']
export type Problem = S['Problem']

function org() {
  return { org: useSessionStore().org }
}

export const useAiStore = defineStore('ai', () => {
  const provider = ref<AiProvider | null>(null)
  /** The organization whose provider was looked up ('' before the first look). */
  const loadedFor = ref('')
  /** The organization has a provider: show the AI features. */
  const available = computed(() => provider.value != null && loadedFor.value === useSessionStore().org)

  /** Looks the provider up (once per organization unless `force`); none or unreadable → hidden. */
  async function loadProvider(force = false): Promise<AiProvider | null> {
    const slug = useSessionStore().org
    if (!force && loadedFor.value === slug) return provider.value
    try {
      provider.value = await call(api.GET('/api/v1/orgs/{org}/ai/provider', { params: { path: org() } }))
    } catch (e) {
      provider.value = null
      if (!isApiError(e) || (e.status !== 404 && e.status !== 403)) {
        loadedFor.value = slug
        throw e
      }
    }
    loadedFor.value = slug
    return provider.value
  }
  async function setProvider(body: SetAiProviderRequest) {
    provider.value = await call(api.PUT('/api/v1/orgs/{org}/ai/provider', { params: { path: org() }, body }))
    loadedFor.value = useSessionStore().org
    return provider.value
  }
  async function deleteProvider() {
    await call(api.DELETE('/api/v1/orgs/{org}/ai/provider', { params: { path: org() } }))
    provider.value = null
  }
  const requests = () => call(api.GET('/api/v1/orgs/{org}/ai/requests', { params: { path: org() } }))
  const diagnose = (id: string) => call(api.POST('/api/v1/orgs/{org}/deployments/{id}/diagnose', { params: { path: { ...org(), id } } }))
  const optimize = (stack: string) => call(api.POST('/api/v1/orgs/{org}/stacks/{stack}/optimize', { params: { path: { ...org(), stack } } }))

  /**
   * Generates a stack from `description`, streaming: `onProgress` per step; resolves with the
   * result, rejects with the server's problem (an ApiError) or an AbortError when `signal` aborts.
   */
  async function generate(
    body: S['AiGenerateRequest'],
    onProgress: (p: GenerateProgress) => void,
    signal?: AbortSignal,
  ): Promise<AiGenerated> {
    let result: AiGenerated | null = null
    let problem: Problem | null = null
    const url = `/api/v1/orgs/${encodeURIComponent(useSessionStore().org)}/ai/generate`
    await postEventStream(
      url,
      body,
      {
        progress: (d) => onProgress(d as GenerateProgress),
        result: (d) => (result = d as AiGenerated),
        error: (d) => (problem = (typeof d === 'object' ? d : { title: String(d), status: 502, type: 'about:blank' }) as Problem),
      },
      signal,
    )
    if (result) return result
    const p = problem as Problem | null
    throw new ApiError(p?.status ?? 502, p, p ? p.detail || p.title : 'the stream ended without a result')
  }
  return { provider, loadedFor, available, loadProvider, setProvider, deleteProvider, requests, diagnose, optimize, generate }
})
