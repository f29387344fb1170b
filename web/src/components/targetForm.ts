// The "Add a target" form without its view: which sections a kind and endpoint need, the
// request bodies built from it (no empty key material sent), the server's field errors mapped
// onto the form, and the command that starts an enrolled agent.
import type { components } from '@/api/schema'
import { isApiError } from '@/api/problem'

export type TargetKind = components['schemas']['TargetKind']
export type CreateTargetRequest = components['schemas']['CreateTargetRequest']
export type CreateEnrollmentRequest = components['schemas']['CreateEnrollmentRequest']

export interface LabelRow {
  key: string
  value: string
}

export interface TargetForm {
  kind: TargetKind
  name: string
  endpoint: string
  environment: string
  labels: LabelRow[]
  tls: { ca: string; cert: string; key: string }
  ssh: { privateKey: string; hostKey: string }
  /** A cluster's kubeconfig (its credentials: sent once, stored encrypted) and where stacks go. */
  kubernetes: { kubeconfig: string; context: string; storageClass: string; ingressClass: string }
  /** Agent enrollments: how long the token stays valid. */
  ttlSeconds: number
}

export const KINDS: { value: TargetKind; label: string }[] = [
  { value: 'docker', label: 'Docker engine' },
  { value: 'ssh', label: 'SSH' },
  { value: 'swarm', label: 'Swarm manager' },
  { value: 'agent', label: 'Agent' },
  { value: 'kubernetes', label: 'Kubernetes cluster' },
]

/** Token lifetimes offered for an agent enrollment (the server accepts 1 minute to 7 days). */
export const TOKEN_LIFETIMES: { seconds: number; label: string }[] = [
  { seconds: 900, label: '15 minutes' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86400, label: '1 day' },
  { seconds: 7 * 86400, label: '7 days' },
]

const DEFAULT_ENDPOINT: Record<TargetKind, string> = {
  docker: 'unix:///var/run/docker.sock',
  ssh: 'ssh://',
  swarm: 'unix:///var/run/docker.sock',
  agent: '',
  kubernetes: '',
}

export const ENDPOINT_HINT: Record<TargetKind, string> = {
  docker: 'unix:///var/run/docker.sock or tcp://host:2376',
  ssh: 'ssh://user@host[:port]',
  swarm: 'unix:///var/run/docker.sock, tcp://manager:2376 or ssh://user@manager',
  agent: '',
  kubernetes: '',
}

export function emptyForm(kind: TargetKind = 'docker'): TargetForm {
  return {
    kind,
    name: '',
    endpoint: DEFAULT_ENDPOINT[kind],
    environment: '',
    labels: [],
    tls: { ca: '', cert: '', key: '' },
    ssh: { privateKey: '', hostKey: '' },
    kubernetes: { kubeconfig: '', context: '', storageClass: '', ingressClass: '' },
    ttlSeconds: 3600,
  }
}

/** Switches the form to `kind`, replacing the endpoint only if it was another kind's default. */
export function changeKind(form: TargetForm, kind: TargetKind) {
  const untouched = !form.endpoint.trim() || Object.values(DEFAULT_ENDPOINT).includes(form.endpoint)
  form.kind = kind
  if (untouched) form.endpoint = DEFAULT_ENDPOINT[kind]
}

export interface Sections {
  endpoint: boolean
  tls: boolean
  ssh: boolean
  agent: boolean
  /** A cluster: its kubeconfig instead of an endpoint (the API server's URL comes from it). */
  kubernetes: boolean
}

/** Which parts of the form a kind at an endpoint needs. */
export function sections(kind: TargetKind, endpoint: string): Sections {
  const e = endpoint.trim()
  switch (kind) {
    case 'docker':
      return { endpoint: true, tls: e.startsWith('tcp://'), ssh: false, agent: false, kubernetes: false }
    case 'ssh':
      return { endpoint: true, tls: false, ssh: true, agent: false, kubernetes: false }
    case 'swarm':
      return { endpoint: true, tls: e.startsWith('tcp://'), ssh: e.startsWith('ssh://'), agent: false, kubernetes: false }
    case 'agent':
      return { endpoint: false, tls: false, ssh: false, agent: true, kubernetes: false }
    case 'kubernetes':
      return { endpoint: false, tls: false, ssh: false, agent: false, kubernetes: true }
  }
}

/** Whether a target of this kind at this endpoint is reached over SSH (and so has a host key). */
export function reachedOverSsh(kind: TargetKind, endpoint: string): boolean {
  return kind === 'ssh' || (kind === 'swarm' && endpoint.startsWith('ssh://'))
}

export function labelsObject(rows: LabelRow[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const r of rows) if (r.key.trim()) out[r.key.trim()] = r.value
  return out
}

const text = (s: string) => (s.trim() ? s : null)

/**
 * The `POST …/targets` body: the TLS and SSH material only where the kind and endpoint use
 * it, and only what was filled in (an empty key is left out, never sent as "").
 */
export function createTargetBody(form: TargetForm): CreateTargetRequest {
  const show = sections(form.kind, form.endpoint)
  const body: CreateTargetRequest = { name: form.name.trim(), kind: form.kind, endpoint: form.endpoint.trim() }
  if (form.environment) body.environment = form.environment
  const labels = labelsObject(form.labels)
  if (Object.keys(labels).length) body.labels = labels as Record<string, never> // the schema says `object`
  if (show.tls && (text(form.tls.ca) || text(form.tls.cert) || text(form.tls.key))) {
    body.tls = { ca: form.tls.ca, cert: text(form.tls.cert), key: text(form.tls.key) }
  }
  if (show.ssh && (text(form.ssh.privateKey) || text(form.ssh.hostKey))) {
    body.ssh = { private_key: text(form.ssh.privateKey), host_key: text(form.ssh.hostKey)?.trim() ?? null }
  }
  if (show.kubernetes) {
    const k = form.kubernetes
    body.endpoint = ''
    body.kubernetes = {
      kubeconfig: k.kubeconfig,
      context: text(k.context)?.trim() ?? null,
      storage_class: text(k.storageClass)?.trim() ?? null,
      ingress_class: text(k.ingressClass)?.trim() ?? null,
    }
  }
  return body
}

/** The `POST …/agents/enrollments` body of an agent target. */
export function enrollmentBody(form: TargetForm): CreateEnrollmentRequest {
  const body: CreateEnrollmentRequest = { target: form.name.trim(), ttl_seconds: form.ttlSeconds }
  if (form.environment) body.environment = form.environment
  const labels = labelsObject(form.labels)
  if (Object.keys(labels).length) body.labels = labels as Record<string, never>
  return body
}

/**
 * The server's field errors by form field (`tls.ca`, `ssh.host_key`, …); an enrollment's
 * `target` is the form's name. Null when the error names no field: the caller toasts it.
 */
export function fieldErrors(e: unknown): Record<string, string> | null {
  if (!isApiError(e)) return null
  const errors = (e.problem?.errors ?? []).filter((f) => f.field)
  if (!errors.length) return null
  const out: Record<string, string> = {}
  for (const f of errors) {
    const field = f.field === 'target' ? 'name' : f.field
    out[field] = out[field] ? `${out[field]}; ${f.message}` : f.message
  }
  return out
}

/** The fields the form shows errors at; an error elsewhere is toasted. */
export const FORM_FIELDS = ['name', 'kind', 'endpoint', 'environment', 'labels', 'tls', 'tls.ca', 'tls.cert', 'tls.key',
  'ssh', 'ssh.private_key', 'ssh.host_key', 'kubernetes', 'kubernetes.kubeconfig', 'ttl_seconds'] as const

/** The command that starts the agent on its host, enrolling it with `token`. */
export function agentCommand(origin: string, token: string): string {
  return `windflow agent --server ${origin.replace(/\/+$/, '')} --token ${token}`
}

/** The agent refuses plain HTTP except to a loopback address. */
export function agentNeedsHttps(origin: string): boolean {
  try {
    const url = new URL(origin)
    return url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
  } catch {
    return false
  }
}

/** The `SHA256:` fingerprint a host offered, from a "host key not trusted yet" error. */
export function offeredFingerprint(error: string | null | undefined): string | null {
  if (!error || !/host key not trusted yet/.test(error)) return null
  return /SHA256:[A-Za-z0-9+/=]+/.exec(error)?.[0] ?? null
}
