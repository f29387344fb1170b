// The template catalog: templates to deploy as new stacks, a stack's template and its upgrade,
// and (server administrators) the catalog's sources. Views call these; these call the client.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, call } from '@/api/client'
import type { components } from '@/api/schema'
import { useSessionStore } from './session'

type S = components['schemas']
export type TemplateSummary = S['TemplateSummary']
export type TemplateDetail = S['TemplateDetail']
export type TemplateInput = S['TemplateInput']
export type TemplateDeployment = S['TemplateDeployment']
export type DeployTemplateRequest = S['DeployTemplateRequest']
export type StackTemplateInfo = S['StackTemplateInfo']
export type TemplateUpgrade = S['TemplateUpgrade']
export type CatalogSource = S['CatalogSource']
export type CreateCatalogSourceRequest = S['CreateCatalogSourceRequest']
export type Advice = S['Advice']

function org() {
  return { org: useSessionStore().org }
}

export const useCatalogStore = defineStore('catalog', () => {
  const templates = ref<TemplateSummary[]>([])
  const loading = ref(false)
  async function load(query: { q?: string; category?: string } = {}) {
    loading.value = true
    try {
      templates.value = await call(
        api.GET('/api/v1/orgs/{org}/templates', {
          params: { path: org(), query: { q: query.q || undefined, category: query.category || undefined } },
        }),
      )
    } finally {
      loading.value = false
    }
  }
  const get = (source: string, id: string) =>
    call(api.GET('/api/v1/orgs/{org}/templates/{source}/{id}', { params: { path: { ...org(), source, id } } }))
  /** Creates the stack (and with `deploy`, its deployment); with `dry_run` only resolves and checks. */
  const deploy = (source: string, id: string, body: DeployTemplateRequest) =>
    call(api.POST('/api/v1/orgs/{org}/templates/{source}/{id}/deploy', { params: { path: { ...org(), source, id } }, body })) as Promise<TemplateDeployment>
  /** The template `stack` was made from; null when it was not made from one. */
  async function stackTemplate(stack: string): Promise<StackTemplateInfo | null> {
    try {
      return await call(api.GET('/api/v1/orgs/{org}/stacks/{stack}/template', { params: { path: { ...org(), stack } } }))
    } catch (e) {
      if ((e as { status?: number }).status === 404) return null
      throw e
    }
  }
  const upgrade = (stack: string, dryRun: boolean, values: Record<string, string> = {}) =>
    call(
      api.POST('/api/v1/orgs/{org}/stacks/{stack}/template/upgrade', { params: { path: { ...org(), stack } }, body: { values, dry_run: dryRun } }),
    )

  const sources = ref<CatalogSource[]>([])
  async function loadSources() {
    sources.value = await call(api.GET('/api/v1/catalog/sources'))
  }
  const addSource = (body: CreateCatalogSourceRequest) => call(api.POST('/api/v1/catalog/sources', { body }))
  const removeSource = (name: string) => call(api.DELETE('/api/v1/catalog/sources/{name}', { params: { path: { name } } }))
  const refreshSource = (name: string) =>
    call(api.POST('/api/v1/catalog/sources/{name}/refresh', { params: { path: { name } } }))
  return { templates, loading, load, get, deploy, stackTemplate, upgrade, sources, loadSources, addSource, removeSource, refreshSource }
})
