// Backups: the organization's repositories (credentials and passwords go in, never out), a
// stack's policy, and the runs that back up, restore, check and drill, with the snapshots and
// files they wrote. Views call these; these call the client.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, call } from '@/api/client'
import { isApiError } from '@/api/problem'
import type { components } from '@/api/schema'
import { useSessionStore } from './session'

type S = components['schemas']
export type BackupRepository = S['BackupRepository']
export type BackupLocation = S['BackupLocation']
export type CreateBackupRepositoryRequest = S['CreateBackupRepositoryRequest']
export type BackupPolicy = S['BackupPolicy']
export type BackupRun = S['BackupRun']
export type BackupSnapshot = S['BackupSnapshot']
export type BackupEntry = S['BackupEntry']
export type RestoreRequest = S['RestoreRequest']
export type RestorePlan = S['RestorePlan']

function org() {
  return { org: useSessionStore().org }
}

export const useBackupsStore = defineStore('backups', () => {
  const repositories = ref<BackupRepository[]>([])
  async function loadRepositories() {
    repositories.value = await call(api.GET('/api/v1/orgs/{org}/backup/repositories', { params: { path: org() } }))
  }
  /** Initializes the repository (or opens an existing one with `password`) and stores it. */
  const addRepository = (body: CreateBackupRepositoryRequest) =>
    call(api.POST('/api/v1/orgs/{org}/backup/repositories', { params: { path: org() }, body }))
  const removeRepository = (repository: string) =>
    call(api.DELETE('/api/v1/orgs/{org}/backup/repositories/{repository}', { params: { path: { ...org(), repository } } }))
  /** Queues an integrity check reading back `readData` percent of the data (0: structure only). */
  const checkRepository = (repository: string, readData: number) =>
    call(
      api.POST('/api/v1/orgs/{org}/backup/repositories/{repository}/check', {
        params: { path: { ...org(), repository } },
        body: { read_data: readData },
      }),
    )

  /** The stack's policy in effect; null when it has none. */
  async function policy(stack: string): Promise<BackupPolicy | null> {
    try {
      return await call(api.GET('/api/v1/orgs/{org}/stacks/{stack}/backup', { params: { path: { ...org(), stack } } }))
    } catch (e) {
      if (isApiError(e) && e.status === 404) return null
      throw e
    }
  }
  /** Sets the stack's policy (any JSON object: the generated type of a free-form object is `Record<string, never>`). */
  const setPolicy = (stack: string, policy: Record<string, unknown>, enabled = true) =>
    call(api.PUT('/api/v1/orgs/{org}/stacks/{stack}/backup', { params: { path: { ...org(), stack } }, body: { enabled, policy: policy as never } }))
  const deletePolicy = (stack: string) =>
    call(api.DELETE('/api/v1/orgs/{org}/stacks/{stack}/backup', { params: { path: { ...org(), stack } } }))

  const runs = (stack?: string, kind?: string) =>
    call(api.GET('/api/v1/orgs/{org}/backup/runs', { params: { path: org(), query: { stack, kind } } }))
  const run = (id: string) => call(api.GET('/api/v1/orgs/{org}/backup/runs/{run}', { params: { path: { ...org(), run: id } } }))
  const cancel = (id: string) =>
    call(api.POST('/api/v1/orgs/{org}/backup/runs/{run}/cancel', { params: { path: { ...org(), run: id } } }))
  const backUp = (stack: string) =>
    call(api.POST('/api/v1/orgs/{org}/stacks/{stack}/backup/run', { params: { path: { ...org(), stack } }, body: {} }))
  const drill = (stack: string) =>
    call(api.POST('/api/v1/orgs/{org}/stacks/{stack}/backup/drill', { params: { path: { ...org(), stack } } }))
  /** The plan of a restore (`dry_run`), or the plan with its queued run. */
  const restore = (stack: string, body: RestoreRequest) =>
    call(api.POST('/api/v1/orgs/{org}/stacks/{stack}/backup/restore', { params: { path: { ...org(), stack } }, body }))

  const snapshots = (stack?: string) =>
    call(api.GET('/api/v1/orgs/{org}/backup/snapshots', { params: { path: org(), query: { stack } } }))
  const files = (snapshot: string, path = '') =>
    call(api.GET('/api/v1/orgs/{org}/backup/snapshots/{snapshot}/files', { params: { path: { ...org(), snapshot }, query: { path } } }))
  /** Where the browser downloads one file of a snapshot (admins; a database item: its dump). */
  const downloadUrl = (snapshot: string, path: string) =>
    `/api/v1/orgs/${encodeURIComponent(useSessionStore().org)}/backup/snapshots/${encodeURIComponent(snapshot)}/download?${new URLSearchParams({ path })}`

  return {
    repositories, loadRepositories, addRepository, removeRepository, checkRepository,
    policy, setPolicy, deletePolicy,
    runs, run, cancel, backUp, drill, restore,
    snapshots, files, downloadUrl,
  }
})
