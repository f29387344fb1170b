// Backups without their views: the "Add a repository" form and the request it sends (secrets
// only when filled in, never sent as ""), the server's 422 mapped onto the form's fields, how
// a location, a size and a run read in the lists, a policy's errors, and the steps of the
// restore wizard (the policy as editable text: backupPolicy.ts, which loads a YAML parser).
// Pure: the views and the store do the calls.
import { isApiError } from '@/api/problem'
import type { components } from '@/api/schema'

type S = components['schemas']
type CreateBackupRepositoryRequest = S['CreateBackupRepositoryRequest']
type BackupLocation = S['BackupLocation']
type BackupRun = S['BackupRun']
type RestoreRequest = S['RestoreRequest']

export type RepositoryKind = 's3' | 'folder' | 'sftp'

export const REPOSITORY_KINDS: { value: RepositoryKind; label: string }[] = [
  { value: 's3', label: 'S3-compatible' },
  { value: 'folder', label: 'Folder on a target' },
  { value: 'sftp', label: 'SFTP server' },
]

export interface RepositoryForm {
  name: string
  target: string
  kind: RepositoryKind
  s3: { endpoint: string; bucket: string; prefix: string; region: string; accessKeyId: string; secretAccessKey: string }
  /** A host path, or (`volume`) a named volume on the target. */
  folder: { path: string; volume: boolean }
  sftp: { host: string; port: string; user: string; path: string; privateKey: string; knownHosts: string }
  /** The password of an existing restic repository to attach; empty: a new repository. */
  attach: boolean
  password: string
}

export function emptyRepositoryForm(target = ''): RepositoryForm {
  return {
    name: '',
    target,
    kind: 's3',
    s3: { endpoint: '', bucket: '', prefix: '', region: '', accessKeyId: '', secretAccessKey: '' },
    folder: { path: '', volume: true },
    sftp: { host: '', port: '22', user: '', path: '', privateKey: '', knownHosts: '' },
    attach: false,
    password: '',
  }
}

/** The form's fields an error can be shown at. */
export type RepositoryField =
  | 'name' | 'target' | 'location'
  | 'endpoint' | 'bucket' | 'prefix' | 'region' | 'access_key_id' | 'secret_access_key'
  | 'path' | 'host' | 'port' | 'user' | 'ssh_private_key' | 'ssh_known_hosts'
  | 'password'

const FIELDS: RepositoryField[] = [
  'name', 'target', 'location', 'endpoint', 'bucket', 'prefix', 'region', 'access_key_id', 'secret_access_key',
  'path', 'host', 'port', 'user', 'ssh_private_key', 'ssh_known_hosts', 'password',
]

const text = (s: string) => s.trim()
const optional = (s: string) => (s.trim() ? s.trim() : undefined)

/** What the form lacks before it can be sent (the server checks the rest), by field. */
export function checkRepositoryForm(form: RepositoryForm): Partial<Record<RepositoryField, string>> {
  const out: Partial<Record<RepositoryField, string>> = {}
  if (!text(form.name)) out.name = 'name the repository'
  if (!text(form.target)) out.target = 'choose the target that runs its operations'
  if (form.kind === 's3') {
    if (!text(form.s3.endpoint)) out.endpoint = 'the endpoint, e.g. https://s3.eu-west-1.amazonaws.com'
    if (!text(form.s3.bucket)) out.bucket = 'the bucket'
    if (Boolean(text(form.s3.accessKeyId)) !== Boolean(text(form.s3.secretAccessKey))) {
      out.secret_access_key = 'give both the access key id and the secret key, or neither'
    }
  } else if (form.kind === 'folder') {
    if (!text(form.folder.path)) out.path = form.folder.volume ? 'the named volume' : 'the folder on the target'
  } else {
    if (!text(form.sftp.host)) out.host = 'the SSH server'
    const port = Number(form.sftp.port)
    if (!/^\d+$/.test(form.sftp.port.trim()) || port < 1 || port > 65535) out.port = 'a port from 1 to 65535'
    if (!text(form.sftp.user)) out.user = 'the user to log in as'
    if (!text(form.sftp.path)) out.path = 'the folder on the server'
    if (!text(form.sftp.privateKey)) out.ssh_private_key = 'the private key (OpenSSH format)'
    if (!text(form.sftp.knownHosts)) out.ssh_known_hosts = 'the server’s host key, as a known_hosts line'
  }
  if (form.attach && !form.password) out.password = 'the password of the existing repository'
  return out
}

/** The location the form describes. */
export function repositoryLocation(form: RepositoryForm): BackupLocation {
  switch (form.kind) {
    case 's3':
      return { kind: 's3', endpoint: text(form.s3.endpoint), bucket: text(form.s3.bucket), prefix: optional(form.s3.prefix), region: optional(form.s3.region) }
    case 'folder':
      return { kind: 'folder', path: text(form.folder.path), volume: form.folder.volume }
    case 'sftp':
      return { kind: 'sftp', host: text(form.sftp.host), port: Number(form.sftp.port), user: text(form.sftp.user), path: text(form.sftp.path) }
  }
}

/** The `POST …/backup/repositories` body: only the kind's credentials, only those filled in. */
export function createRepositoryBody(form: RepositoryForm): CreateBackupRepositoryRequest {
  const body: CreateBackupRepositoryRequest = { name: text(form.name), target: text(form.target), location: repositoryLocation(form) }
  if (form.kind === 's3') {
    const id = optional(form.s3.accessKeyId)
    if (id) body.access_key_id = id
    if (form.s3.secretAccessKey.trim()) body.secret_access_key = form.s3.secretAccessKey.trim()
  }
  if (form.kind === 'sftp') {
    if (form.sftp.privateKey.trim()) body.ssh_private_key = form.sftp.privateKey.trim() + '\n'
    if (form.sftp.knownHosts.trim()) body.ssh_known_hosts = form.sftp.knownHosts.trim() + '\n'
  }
  if (form.attach && form.password) body.password = form.password
  return body
}

/**
 * A 422's (or 409's) field errors keyed by the form field they belong to (`location.bucket` →
 * `bucket`), or null when the error names no field of the form (it is toasted instead).
 */
export function repositoryFieldErrors(e: unknown): Partial<Record<RepositoryField, string>> | null {
  if (!isApiError(e)) return null
  const out: Partial<Record<RepositoryField, string>> = {}
  for (const f of e.problem?.errors ?? []) {
    const field = (f.field.startsWith('location.') ? f.field.slice('location.'.length) : f.field) as RepositoryField
    if (!FIELDS.includes(field)) continue
    out[field] = out[field] ? `${out[field]}; ${f.message}` : f.message
  }
  // A location restic could not use: its whole message at the location.
  if (out.location && e.message && !out.location.includes(e.message)) out.location = e.message
  return Object.keys(out).length ? out : null
}

/** Where a repository keeps its data, as the list shows it. */
export function locationLabel(location: BackupLocation): string {
  switch (location.kind) {
    case 's3':
      return `${location.endpoint.replace(/\/+$/, '')}/${location.bucket}${location.prefix ? `/${location.prefix}` : ''}`
    case 'folder':
      return location.volume ? `volume ${location.path}` : location.path
    case 'sftp':
      return `${location.user}@${location.host}${location.port && location.port !== 22 ? `:${location.port}` : ''}:${location.path}`
  }
}

/** A size in bytes as people read it: "512 B", "1.5 KiB", "3.2 GiB". */
export function bytes(n: number | null | undefined): string {
  if (n == null || Number.isNaN(n)) return '—'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let i = 0
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`
}

/** A run still in progress: its page keeps refreshing. */
export function runActive(run: Pick<BackupRun, 'status'>): boolean {
  return run.status === 'queued' || run.status === 'running'
}

type RunResult = {
  size_bytes?: number
  added_bytes?: number
  duration_ms?: number
  items?: { item: string; snapshot?: string; size_bytes?: number }[]
  checks?: { service: string; command: string[]; expect?: string | null; ok: boolean; output?: string }[]
  note?: string
  ok?: boolean
  message?: string
  read_data?: number
}

/** The parts of a run's result the console shows (the server's JSON, read defensively). */
export function runResult(run: Pick<BackupRun, 'result'>): RunResult {
  const r = run.result as unknown
  return r && typeof r === 'object' ? (r as RunResult) : {}
}

/** A policy 422's errors, each with the field at fault (`x-windflow.backup.schedule` → `schedule`). */
export function policyErrors(e: unknown): { field: string; message: string }[] {
  if (!isApiError(e)) return []
  return (e.problem?.errors ?? []).map((f) => ({ field: f.field.replace(/^x-windflow\.backup\.?/, '') || 'policy', message: f.message }))
}

/** The restore wizard's choices. */
export interface RestoreForm {
  run: string
  items: string[]
  /** Paths inside the chosen volume items, one per line (empty: everything). */
  paths: string
  /** Restore into another stack (a copy or a migration) instead of this one. */
  elsewhere: boolean
  intoStack: string
}

export function emptyRestoreForm(run = ''): RestoreForm {
  return { run, items: [], paths: '', elsewhere: false, intoStack: '' }
}

/** The `POST …/backup/restore` body of the wizard's choices (a dry run shows the plan only). */
export function restoreBody(form: RestoreForm, dryRun: boolean): RestoreRequest {
  const body: RestoreRequest = { dry_run: dryRun }
  if (form.run) body.run = form.run
  if (form.items.length) body.items = [...form.items]
  const paths = form.paths.split('\n').map((p) => p.trim().replace(/^\/+/, '')).filter(Boolean)
  if (paths.length) body.paths = paths
  if (form.elsewhere && form.intoStack.trim()) body.into_stack = form.intoStack.trim()
  return body
}

/** A folder's parent inside a snapshot ('' is its top). */
export function parentPath(path: string): string {
  const i = path.replace(/\/+$/, '').lastIndexOf('/')
  return i < 0 ? '' : path.slice(0, i)
}
