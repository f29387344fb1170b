// Workflows: their documents and versions, runs (start, re-run from a node, cancel, approve)
// and the organization's notification channels. Views call these; these call the client.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, call } from '@/api/client'
import type { components } from '@/api/schema'
import { useSessionStore } from './session'
import { sseUrl } from './resources'

type S = components['schemas']
export type WorkflowSummary = S['WorkflowSummary']
export type Workflow = S['Workflow']
export type WorkflowVersion = S['WorkflowVersion']
export type WorkflowRun = S['WorkflowRun']
export type WorkflowNodeRun = S['WorkflowNodeRun']
export type WorkflowIssue = S['WorkflowIssue']
export type NotificationChannel = S['NotificationChannel']

function org() {
  return { org: useSessionStore().org }
}
/** A document as the API takes it (a free-form object). */
// The schema says `object` for a document (its shape is the workflow file, checked by the server).
const body = (document: object) => ({ document: document as Record<string, never> })

export const useWorkflowsStore = defineStore('workflows', () => {
  const list = ref<WorkflowSummary[]>([])
  async function load() {
    list.value = await call(api.GET('/api/v1/orgs/{org}/workflows', { params: { path: org() } }))
  }
  const get = (name: string) => call(api.GET('/api/v1/orgs/{org}/workflows/{name}', { params: { path: { ...org(), name } } }))
  /** Saves the document (a new version when it changed); a 422 names each field at fault. */
  const save = (name: string, document: object) =>
    call(api.PUT('/api/v1/orgs/{org}/workflows/{name}', { params: { path: { ...org(), name } }, body: body(document) }))
  const remove = (name: string) => call(api.DELETE('/api/v1/orgs/{org}/workflows/{name}', { params: { path: { ...org(), name } } }))
  const validate = (document: object) =>
    call(api.POST('/api/v1/orgs/{org}/workflows/validate', { params: { path: org() }, body: body(document) }))
  const versions = (name: string) =>
    call(api.GET('/api/v1/orgs/{org}/workflows/{name}/versions', { params: { path: { ...org(), name } } }))
  const version = (name: string, version: number) =>
    call(api.GET('/api/v1/orgs/{org}/workflows/{name}/versions/{version}', { params: { path: { ...org(), name, version } } }))

  const runs = (name: string) => call(api.GET('/api/v1/orgs/{org}/workflows/{name}/runs', { params: { path: { ...org(), name } } }))
  /** Starts a run with `inputs`. */
  const start = (name: string, inputs: Record<string, unknown> = {}) =>
    call(api.POST('/api/v1/orgs/{org}/workflows/{name}/runs', { params: { path: { ...org(), name } }, body: { inputs } }))
  /** Runs again from `node` of the earlier run `run` (what ran before it is kept). */
  const rerunFrom = (name: string, run: string, node: string) =>
    call(api.POST('/api/v1/orgs/{org}/workflows/{name}/runs', { params: { path: { ...org(), name } }, body: { from_run: run, from_node: node } }))
  const run = (id: string) => call(api.GET('/api/v1/orgs/{org}/workflow-runs/{run}', { params: { path: { ...org(), run: id } } }))
  const cancel = (id: string) => call(api.POST('/api/v1/orgs/{org}/workflow-runs/{run}/cancel', { params: { path: { ...org(), run: id } } }))
  const decide = (id: string, node: string, approve: boolean, comment?: string) =>
    call(
      api.POST('/api/v1/orgs/{org}/workflow-runs/{run}/approvals/{node}', {
        params: { path: { ...org(), run: id, node } },
        body: comment ? { approve, comment } : { approve },
      }),
    )
  /** Where the run's server-sent events come from (each `run` event: the whole run). */
  const eventsUrl = (id: string) => sseUrl(`/workflow-runs/${encodeURIComponent(id)}/events`)

  const channels = ref<NotificationChannel[]>([])
  async function loadChannels() {
    channels.value = await call(api.GET('/api/v1/orgs/{org}/notification-channels', { params: { path: org() } }))
  }
  /** `channel` is `{kind, ...settings}`; its secrets go in and never come out. */
  const addChannel = (name: string, channel: Record<string, unknown>) =>
    call(api.POST('/api/v1/orgs/{org}/notification-channels', { params: { path: org() }, body: { name, channel: channel as Record<string, never> } }))  // the schema says `object`
  const removeChannel = (channel: string) =>
    call(api.DELETE('/api/v1/orgs/{org}/notification-channels/{channel}', { params: { path: { ...org(), channel } } }))
  const testChannel = (channel: string) =>
    call(api.POST('/api/v1/orgs/{org}/notification-channels/{channel}/test', { params: { path: { ...org(), channel } } }))

  return {
    list, load, get, save, remove, validate, versions, version,
    runs, start, rerunFrom, run, cancel, decide, eventsUrl,
    channels, loadChannels, addChannel, removeChannel, testChannel,
  }
})
