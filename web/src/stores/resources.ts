// Organization resources: stacks, targets, environments, deployments. Views call these;
// these call the typed client.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, call } from '@/api/client'
import type { components } from '@/api/schema'
import { useSessionStore } from './session'

export type Stack = components['schemas']['Stack']
export type StackDetail = components['schemas']['StackDetail']
export type Target = components['schemas']['Target']
export type Environment = components['schemas']['Environment']
export type Deployment = components['schemas']['Deployment']
export type PlanPreview = components['schemas']['PlanPreview']
export type Agent = components['schemas']['Agent']
export type SwarmNode = components['schemas']['SwarmNode']
export type KubeStack = components['schemas']['KubeStack']
export type ServiceDomains = components['schemas']['ServiceDomains']
export type SetDomainsRequest = components['schemas']['SetDomainsRequest']
export type Certificate = components['schemas']['Certificate']
export type GatewayInfo = components['schemas']['GatewayInfo']
export type DnsZone = components['schemas']['DnsZone']
export type DnsRecord = components['schemas']['DnsRecord']

function org() {
  return { org: useSessionStore().org }
}

export const useStacksStore = defineStore('stacks', () => {
  const items = ref<Stack[]>([])
  const loading = ref(false)
  async function load() {
    loading.value = true
    try {
      const page = await call(api.GET('/api/v1/orgs/{org}/stacks', { params: { path: org(), query: { limit: 500 } } }))
      items.value = page.items
    } finally {
      loading.value = false
    }
  }
  const get = (stack: string) =>
    call(api.GET('/api/v1/orgs/{org}/stacks/{stack}', { params: { path: { ...org(), stack } } }))
  const create = (name: string, content: string, description = '') =>
    call(api.POST('/api/v1/orgs/{org}/stacks', { params: { path: org() }, body: { name, content, description } }))
  const update = (stack: string, content: string, version: number, message?: string) =>
    call(
      api.PUT('/api/v1/orgs/{org}/stacks/{stack}', {
        params: { path: { ...org(), stack }, header: { 'if-match': `"${version}"` } as never },
        body: { content, message },
      }),
    )
  const validate = (stack: string, content: string) =>
    call(api.POST('/api/v1/orgs/{org}/stacks/{stack}/validate', { params: { path: { ...org(), stack } }, body: { content } }))
  const versions = (stack: string) =>
    call(api.GET('/api/v1/orgs/{org}/stacks/{stack}/versions', { params: { path: { ...org(), stack }, query: { limit: 200 } } }))
  const version = (stack: string, v: number) =>
    call(api.GET('/api/v1/orgs/{org}/stacks/{stack}/versions/{version}', { params: { path: { ...org(), stack, version: v } } }))
  const plan = (stack: string, target: string, environment?: string, version?: number) =>
    call(api.POST('/api/v1/orgs/{org}/stacks/{stack}/plan', { params: { path: { ...org(), stack } }, body: { target, environment, version } }))
  const rollback = (stack: string, target: string, v?: number) =>
    call(api.POST('/api/v1/orgs/{org}/stacks/{stack}/rollback', { params: { path: { ...org(), stack } }, body: { target, version: v } }))
  const variables = (stack: string) =>
    call(api.GET('/api/v1/orgs/{org}/stacks/{stack}/variables', { params: { path: { ...org(), stack } } }))
  const setVariable = (stack: string, name: string, value: string, secret: boolean) =>
    call(api.PUT('/api/v1/orgs/{org}/stacks/{stack}/variables/{name}', { params: { path: { ...org(), stack, name } }, body: { value, secret } }))
  const deleteVariable = (stack: string, name: string) =>
    call(api.DELETE('/api/v1/orgs/{org}/stacks/{stack}/variables/{name}', { params: { path: { ...org(), stack, name } } }))
  /** Deletes the stack; with `undeploy`, removes it from every target first (the queued removals are returned). */
  const remove = async (stack: string, undeploy: boolean): Promise<Deployment[]> =>
    ((await call(api.DELETE('/api/v1/orgs/{org}/stacks/{stack}', { params: { path: { ...org(), stack }, query: { undeploy } } }))) as
      | Deployment[]
      | undefined) ?? []
  /** The services' domains: the compose file's and the control plane's settings over them. */
  const domains = (stack: string) =>
    call(api.GET('/api/v1/orgs/{org}/stacks/{stack}/domains', { params: { path: { ...org(), stack } } }))
  /** Sets a service's domains for one environment, or for every environment when `environment` is absent. */
  const setDomains = (stack: string, service: string, body: SetDomainsRequest, environment?: string) =>
    call(
      api.PUT('/api/v1/orgs/{org}/stacks/{stack}/domains/{service}', {
        params: { path: { ...org(), stack, service }, query: environment ? { environment } : {} },
        body,
      }),
    )
  /** Removes a control-plane setting: the compose file's domains (if any) apply again. */
  const deleteDomains = (stack: string, service: string, environment?: string) =>
    call(
      api.DELETE('/api/v1/orgs/{org}/stacks/{stack}/domains/{service}', {
        params: { path: { ...org(), stack, service }, query: environment ? { environment } : {} },
      }),
    )
  return {
    items, loading, load, get, create, update, validate, versions, version, plan, rollback, variables, setVariable, deleteVariable, remove,
    domains, setDomains, deleteDomains,
  }
})

export const useTargetsStore = defineStore('targets', () => {
  const items = ref<Target[]>([])
  const environments = ref<Environment[]>([])
  async function load() {
    const [targets, envs] = await Promise.all([
      call(api.GET('/api/v1/orgs/{org}/targets', { params: { path: org() } })),
      call(api.GET('/api/v1/orgs/{org}/environments', { params: { path: org() } })),
    ])
    items.value = targets
    environments.value = envs
  }
  /** Registers a target of any kind the API takes (TLS/SSH material included; keys are never returned). */
  const create = (body: components['schemas']['CreateTargetRequest']) =>
    call(api.POST('/api/v1/orgs/{org}/targets', { params: { path: org() }, body }))
  const test = (target: string) =>
    call(api.POST('/api/v1/orgs/{org}/targets/{target}/test', { params: { path: { ...org(), target } } }))
  const inventory = (target: string) =>
    call(api.GET('/api/v1/orgs/{org}/targets/{target}/inventory', { params: { path: { ...org(), target } } }))
  const stats = (target: string) =>
    call(api.GET('/api/v1/orgs/{org}/targets/{target}/stats', { params: { path: { ...org(), target } } }))
  const inspect = (target: string, container: string) =>
    call(api.GET('/api/v1/orgs/{org}/targets/{target}/containers/{container}', { params: { path: { ...org(), target, container } } }))
  const act = (target: string, container: string, action: 'start' | 'stop' | 'restart') =>
    call(
      api.POST('/api/v1/orgs/{org}/targets/{target}/containers/{container}/{action}', {
        params: { path: { ...org(), target, container, action } },
      }),
    )
  const get = (target: string) =>
    call(api.GET('/api/v1/orgs/{org}/targets/{target}', { params: { path: { ...org(), target } } }))
  /** Replaces the target's labels (string values, used by deployments' label selectors). */
  const setLabels = (target: string, labels: Record<string, string>) =>
    call(api.PATCH('/api/v1/orgs/{org}/targets/{target}', { params: { path: { ...org(), target } }, body: { labels: labels as Record<string, never> } }))  // the schema says `object`
  /** The health history, newest first. */
  const checks = (target: string, limit = 100) =>
    call(api.GET('/api/v1/orgs/{org}/targets/{target}/checks', { params: { path: { ...org(), target }, query: { limit } } }))
  /** Pins the SSH host key whose fingerprint the user checked on the host; answers a connection test. */
  const trust = (target: string, fingerprint: string) =>
    call(api.POST('/api/v1/orgs/{org}/targets/{target}/trust', { params: { path: { ...org(), target } }, body: { fingerprint } }))
  /** The nodes of a Swarm target. */
  const nodes = (target: string) =>
    call(api.GET('/api/v1/orgs/{org}/targets/{target}/nodes', { params: { path: { ...org(), target } } }))
  /** Removes the target; `force` also when stacks still run there (their containers stay, unmanaged). */
  const remove = (target: string, force: boolean) =>
    call(api.DELETE('/api/v1/orgs/{org}/targets/{target}', { params: { path: { ...org(), target }, query: { force } } }))
  /** The target's gateway: its routes, their certificates and each replica's live state. */
  const gateway = (target: string) =>
    call(api.GET('/api/v1/orgs/{org}/targets/{target}/gateway', { params: { path: { ...org(), target } } }))
  /** The WindFlow stacks on a kubernetes target's cluster: namespaces, workloads, pods. */
  const kubernetes = (target: string) =>
    call(api.GET('/api/v1/orgs/{org}/targets/{target}/kubernetes', { params: { path: { ...org(), target } } }))
  /** The end of a pod's log (text, with timestamps). */
  const podLog = (target: string, namespace: string, pod: string, tail = 200) =>
    call(
      api.GET('/api/v1/orgs/{org}/targets/{target}/kubernetes/namespaces/{namespace}/pods/{pod}/log', {
        params: { path: { ...org(), target, namespace, pod }, query: { tail } },
        parseAs: 'text',
      }),
    ) as Promise<string>
  return { items, environments, load, create, test, inventory, stats, inspect, act, get, setLabels, checks, trust, nodes, remove, gateway, kubernetes, podLog }
})

export const useCertificatesStore = defineStore('certificates', () => {
  const items = ref<Certificate[]>([])
  async function load() {
    items.value = await call(api.GET('/api/v1/orgs/{org}/certificates', { params: { path: org() } }))
  }
  /** Stores a certificate (chain, leaf first, and its key) under `name`; the key is never returned. */
  const upload = (name: string, body: components['schemas']['UploadCertificateRequest']) =>
    call(api.PUT('/api/v1/orgs/{org}/certificates/{name}', { params: { path: { ...org(), name } }, body }))
  const remove = (name: string) =>
    call(api.DELETE('/api/v1/orgs/{org}/certificates/{name}', { params: { path: { ...org(), name } } }))
  return { items, load, upload, remove }
})

export const useDnsStore = defineStore('dns', () => {
  const zones = ref<DnsZone[]>([])
  const records = ref<DnsRecord[]>([])
  /** Every zone of the organization's providers with its DNSSEC state (an unreachable one has `error`). */
  async function loadZones() {
    zones.value = await call(api.GET('/api/v1/orgs/{org}/dns/zones', { params: { path: org() } }))
  }
  /** The records WindFlow created, with their last health check. */
  async function loadRecords() {
    records.value = await call(api.GET('/api/v1/orgs/{org}/dns/records', { params: { path: org() } }))
  }
  /** Asks the authoritative servers now; the records come back with their new health. */
  async function check() {
    records.value = await call(api.POST('/api/v1/orgs/{org}/dns/records/check', { params: { path: org() } }))
  }
  /** Turns signing on (PowerDNS); the zone's new state, with the DS records for the registrar. */
  const enableDnssec = (zone: string) =>
    call(api.POST('/api/v1/orgs/{org}/dns/zones/{zone}/dnssec', { params: { path: { ...org(), zone } } }))
  return { zones, records, loadZones, loadRecords, check, enableDnssec }
})

export const useAgentsStore = defineStore('agents', () => {
  const items = ref<Agent[]>([])
  async function load() {
    items.value = await call(api.GET('/api/v1/orgs/{org}/agents', { params: { path: org() } }))
  }
  /** A single-use token that enrolls one agent as a new target; the answer is its only copy. */
  const enroll = (body: components['schemas']['CreateEnrollmentRequest']) =>
    call(api.POST('/api/v1/orgs/{org}/agents/enrollments', { params: { path: org() }, body }))
  const revoke = (agent: string) =>
    call(api.DELETE('/api/v1/orgs/{org}/agents/{agent}', { params: { path: { ...org(), agent } } }))
  return { items, load, enroll, revoke }
})

export const useDeploymentsStore = defineStore('deployments', () => {
  const items = ref<Deployment[]>([])
  const total = ref(0)
  async function load(query: { stack?: string; limit?: number } = {}) {
    const page = await call(
      api.GET('/api/v1/orgs/{org}/deployments', { params: { path: org(), query: { limit: query.limit ?? 50, stack: query.stack } } }),
    )
    items.value = page.items
    total.value = page.total
  }
  const get = (id: string) => call(api.GET('/api/v1/orgs/{org}/deployments/{id}', { params: { path: { ...org(), id } } }))
  const create = (stack: string, target: string, environment?: string, version?: number) =>
    call(api.POST('/api/v1/orgs/{org}/deployments', { params: { path: org() }, body: { stack, target, environment, version } as never }))
  /** Removes what `stack` runs on `target` (a `remove` deployment). */
  const undeploy = (stack: string, target: string) =>
    call(api.POST('/api/v1/orgs/{org}/deployments', { params: { path: org() }, body: { stack, target, kind: 'remove' } as never }))
  const cancel = (id: string) =>
    call(api.POST('/api/v1/orgs/{org}/deployments/{id}/cancel', { params: { path: { ...org(), id } } }))
  return { items, total, load, get, create, undeploy, cancel }
})

export function sseUrl(path: string, query: Record<string, string | number | boolean | undefined> = {}) {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v))
  const s = q.toString()
  return `/api/v1/orgs/${encodeURIComponent(useSessionStore().org)}${path}${s ? `?${s}` : ''}`
}
