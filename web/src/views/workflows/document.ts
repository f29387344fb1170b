// The workflow document (the YAML format of /work/wf-contract.md, as JSON over the API), the
// metadata of each node type that drives the palette and the settings panel, and the pure
// helpers around them: ids, local validation (a light mirror of the server's) and where an
// issue's `field` points.
//
// Invariant: nothing here knows Vue Flow or the API; the graph conversion lives in graph.ts.
import type { Component } from 'vue'
import {
  Bell, Connection, Download, EditPen, Link, MagicStick, Monitor, Operation, Position, Promotion, RefreshLeft, Share, Stamp, Timer,
} from '@element-plus/icons-vue'

export type NodeType =
  | 'deploy' | 'rollback' | 'git_update' | 'exec'
  | 'wait' | 'condition' | 'switch' | 'join' | 'call' | 'set'
  | 'http' | 'notify' | 'ai' | 'approval'

export interface Point {
  x: number
  y: number
}

export interface Retry {
  count: number
  /** "5s": doubles each attempt. */
  backoff?: string
}

/** A node: its id, type, the common settings, and the settings of its type (flat, as in YAML). */
export interface WorkflowNode {
  id: string
  type: NodeType | string
  /** The label shown on the canvas. */
  name?: string
  retry?: Retry
  /** Per attempt ("2m"). */
  timeout?: string
  continue_on_error?: boolean
  position?: Point
  [setting: string]: unknown
}

export interface WorkflowEdge {
  from: string
  to: string
  /** condition: "true" | "false"; switch: a case or "default". */
  port?: string
}

export type WebhookProvider = 'generic' | 'github' | 'gitlab' | 'gitea'
export type Trigger =
  | { kind: 'manual' }
  | { kind: 'cron'; schedule: string; timezone?: string }
  | { kind: 'webhook'; provider?: WebhookProvider; branch?: string }
  | { kind: 'event'; event: string; stack?: string }
export type TriggerKind = Trigger['kind']

export interface WorkflowInput {
  description?: string
  default?: unknown
  required?: boolean
}

export type ConcurrencyPolicy = 'queue' | 'skip' | 'cancel_older'
export interface Concurrency {
  limit?: number
  policy?: ConcurrencyPolicy
}

export interface WorkflowDocument {
  name: string
  description?: string
  inputs?: Record<string, WorkflowInput>
  triggers?: Trigger[]
  concurrency?: Concurrency
  nodes: WorkflowNode[]
  edges: WorkflowEdge[]
}

/** One problem of a document: where (`nodes.<id>.<setting>`, `edges[3]`, `name`) and what. */
export interface Issue {
  field: string
  message: string
  node?: string | null
}

export const TRIGGER_KINDS: TriggerKind[] = ['manual', 'cron', 'webhook', 'event']
export const WEBHOOK_PROVIDERS: WebhookProvider[] = ['generic', 'github', 'gitlab', 'gitea']
export const EVENTS = [
  'deployment_succeeded', 'deployment_failed', 'deployment_rolled_back', 'target_down', 'target_up',
  'certificate_expiring', 'container_unhealthy', 'container_restarting',
]
export const CONCURRENCY_POLICIES: ConcurrencyPolicy[] = ['queue', 'skip', 'cancel_older']

export type FieldKind = 'text' | 'template' | 'number' | 'select' | 'list' | 'keyvalue' | 'duration' | 'boolean'

/** One setting of a node type, as the settings panel renders it. */
export interface SettingField {
  name: string
  label: string
  kind: FieldKind
  required?: boolean
  options?: string[]
  placeholder?: string
  help?: string
  /** For a `list`: its items are numbers (http's expect_status). */
  numeric?: boolean
}

export type Category = 'Deploy' | 'Flow' | 'Integrations'
export const CATEGORIES: Category[] = ['Deploy', 'Flow', 'Integrations']

export interface NodeTypeMeta {
  type: NodeType
  label: string
  icon: Component
  category: Category
  description: string
  /** The settings a new node starts with. */
  defaults: Record<string, unknown>
  fields: SettingField[]
  /** Named output ports (an edge from them carries `port`); none: one unnamed output. */
  ports?: (node: WorkflowNode) => string[]
}

const t = (name: string, label: string, extra: Partial<SettingField> = {}): SettingField => ({ name, label, kind: 'template', ...extra })
const stackField = t('stack', 'Stack', { required: true, placeholder: 'web' })
const targetField = t('target', 'Target', { placeholder: 'staging-1' })

export const NODE_TYPES: Record<NodeType, NodeTypeMeta> = {
  deploy: {
    type: 'deploy', label: 'Deploy', icon: Promotion, category: 'Deploy',
    description: 'Deploy a stack to a target (or the targets a selector or environment picks).',
    defaults: { stack: '', version: 'latest' },
    fields: [
      stackField, targetField,
      t('selector', 'Selector', { placeholder: 'env=staging', help: 'Target labels, instead of a target' }),
      t('environment', 'Environment', { placeholder: 'staging' }),
      t('version', 'Version', { placeholder: 'latest' }),
    ],
  },
  rollback: {
    type: 'rollback', label: 'Roll back', icon: RefreshLeft, category: 'Deploy',
    description: 'Put back the version of a stack that ran before the current one.',
    defaults: { stack: '' },
    fields: [stackField, targetField],
  },
  git_update: {
    type: 'git_update', label: 'Git update', icon: Download, category: 'Deploy',
    description: "Pull a stack's compose file from a Git repository; a change makes a new version.",
    defaults: { stack: '', repository: '', reference: 'main', path: 'compose.yaml' },
    fields: [
      stackField,
      t('repository', 'Repository', { required: true, placeholder: 'https://git.example.com/web.git' }),
      t('reference', 'Branch or tag', { placeholder: 'main' }),
      t('path', 'Path', { placeholder: 'compose.yaml' }),
    ],
  },
  exec: {
    type: 'exec', label: 'Exec', icon: Monitor, category: 'Deploy',
    description: "Run a command in a service's container.",
    defaults: { stack: '', service: '', command: [] },
    fields: [
      stackField,
      t('service', 'Service', { required: true }),
      { name: 'command', label: 'Command', kind: 'list', required: true, help: 'One argument per item' },
      targetField,
    ],
  },
  wait: {
    type: 'wait', label: 'Wait', icon: Timer, category: 'Flow',
    description: 'Wait for a while.',
    defaults: { duration: '30s' },
    fields: [{ name: 'duration', label: 'Duration', kind: 'duration', required: true, placeholder: '30s, 5m, 1h30m' }],
  },
  condition: {
    type: 'condition', label: 'Condition', icon: Share, category: 'Flow',
    description: 'Continue on the "true" or the "false" port.',
    defaults: { expression: '' },
    fields: [{ name: 'expression', label: 'Expression', kind: 'text', required: true, placeholder: "trigger.ref == 'refs/heads/main'" }],
    ports: () => ['true', 'false'],
  },
  switch: {
    type: 'switch', label: 'Switch', icon: Operation, category: 'Flow',
    description: "Continue on the port of the case the value matches, or on \"default\".",
    defaults: { value: '', cases: [] },
    fields: [
      { name: 'value', label: 'Value', kind: 'text', required: true, placeholder: 'trigger.branch' },
      { name: 'cases', label: 'Cases', kind: 'list', required: true },
    ],
    ports: (node) => [...stringList(node.cases), 'default'],
  },
  join: {
    type: 'join', label: 'Join', icon: Connection, category: 'Flow',
    description: 'Wait for every branch (every node already waits for all its predecessors).',
    defaults: {},
    fields: [],
  },
  call: {
    type: 'call', label: 'Call workflow', icon: Link, category: 'Flow',
    description: 'Run another workflow and wait for it.',
    defaults: { workflow: '', inputs: {} },
    fields: [
      { name: 'workflow', label: 'Workflow', kind: 'text', required: true },
      { name: 'inputs', label: 'Inputs', kind: 'keyvalue' },
    ],
  },
  set: {
    type: 'set', label: 'Set values', icon: EditPen, category: 'Flow',
    description: 'Compute values for later nodes (its output).',
    defaults: { values: {} },
    fields: [{ name: 'values', label: 'Values', kind: 'keyvalue', required: true }],
  },
  http: {
    type: 'http', label: 'HTTP request', icon: Position, category: 'Integrations',
    description: 'Call a URL; a status outside the expected ones fails the node.',
    defaults: { method: 'GET', url: '' },
    fields: [
      { name: 'method', label: 'Method', kind: 'select', options: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] },
      t('url', 'URL', { required: true, placeholder: 'https://example.com/health' }),
      { name: 'headers', label: 'Headers', kind: 'keyvalue' },
      t('body', 'Body'),
      { name: 'expect_status', label: 'Expected statuses', kind: 'list', numeric: true, help: 'Empty: any 2xx' },
    ],
  },
  notify: {
    type: 'notify', label: 'Notify', icon: Bell, category: 'Integrations',
    description: 'Send a message through a notification channel.',
    defaults: { channel: '', message: '' },
    fields: [
      { name: 'channel', label: 'Channel', kind: 'text', required: true, help: 'A channel of Admin → Notification channels' },
      t('title', 'Title'),
      t('message', 'Message', { required: true }),
    ],
  },
  ai: {
    type: 'ai', label: 'Ask AI', icon: MagicStick, category: 'Integrations',
    description: "Ask the organization's model; its answer is the output.",
    defaults: { prompt: '' },
    fields: [t('prompt', 'Prompt', { required: true })],
  },
  approval: {
    type: 'approval', label: 'Approval', icon: Stamp, category: 'Integrations',
    description: 'Wait for someone with the role to approve; a rejection fails the node.',
    defaults: { role: 'operator', message: '' },
    fields: [
      { name: 'role', label: 'Role', kind: 'select', options: ['viewer', 'operator', 'admin'] },
      t('message', 'Message', { required: true }),
    ],
  },
}

/** Settings every node has, below its type's. */
export const COMMON_FIELDS: SettingField[] = [
  { name: 'timeout', label: 'Timeout', kind: 'duration', placeholder: '2m', help: 'Per attempt (for an approval: how long it waits)' },
  { name: 'retry.count', label: 'Retries', kind: 'number' },
  { name: 'retry.backoff', label: 'Retry backoff', kind: 'duration', placeholder: '5s', help: 'Doubles each attempt' },
  { name: 'continue_on_error', label: 'Continue on error', kind: 'boolean' },
]

export const isNodeType = (type: string): type is NodeType => Object.prototype.hasOwnProperty.call(NODE_TYPES, type)
export const nodeMeta = (type: string): NodeTypeMeta | undefined => (isNodeType(type) ? NODE_TYPES[type] : undefined)

/** The output ports of a node (empty: one unnamed output). */
export function portsOf(node: WorkflowNode): string[] {
  return nodeMeta(node.type)?.ports?.(node) ?? []
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String).filter((s) => s !== '') : []
}

export const ID_PATTERN = /^[a-z0-9_]{1,64}$/
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/
export const DURATION_PATTERN = /^(\d+(ms|s|m|h|d))+$/

/** A fresh id for a node of `type`: `deploy`, then `deploy_2`, `deploy_3`… */
export function uniqueId(type: string, taken: Iterable<string>): string {
  const used = new Set(taken)
  const base = type.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 58) || 'node'
  if (!used.has(base)) return base
  for (let i = 2; ; i++) {
    const id = `${base}_${i}`
    if (!used.has(id)) return id
  }
}

/** A new node of `type` with its default settings. */
export function newNode(type: NodeType, taken: Iterable<string>, position?: Point): WorkflowNode {
  const node: WorkflowNode = { id: uniqueId(type, taken), type, ...structuredClone(NODE_TYPES[type].defaults) }
  if (position) node.position = { x: Math.round(position.x), y: Math.round(position.y) }
  return node
}

/** A new, empty document (a manual trigger, no nodes). */
export function emptyDocument(name: string): WorkflowDocument {
  return { name, description: '', triggers: [{ kind: 'manual' }], nodes: [], edges: [] }
}

/** The value of a setting, `retry.count` reading inside `retry`. */
export function getSetting(node: WorkflowNode, name: string): unknown {
  let v: unknown = node
  for (const part of name.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined
  return v
}

/** Sets a setting (`retry.count` inside `retry`); an empty value removes it (and an empty parent). */
export function setSetting(node: WorkflowNode, name: string, value: unknown) {
  const parts = name.split('.')
  const last = parts.pop()!
  let parent: Record<string, unknown> = node
  const chain: [Record<string, unknown>, string][] = []
  for (const part of parts) {
    if (!parent[part] || typeof parent[part] !== 'object') parent[part] = {}
    chain.push([parent, part])
    parent = parent[part] as Record<string, unknown>
  }
  if (isEmpty(value)) delete parent[last]
  else parent[last] = value
  for (const [owner, key] of chain.reverse()) {
    if (Object.keys(owner[key] as object).length === 0) delete owner[key]
  }
}

export function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true
  if (Array.isArray(v)) return v.length === 0
  if (typeof v === 'object') return Object.keys(v).length === 0
  return false
}

/**
 * Renames a node: its id, and every edge from or to it. Returns the document unchanged (the
 * same object) when `to` is invalid or taken.
 */
export function renameNode(doc: WorkflowDocument, from: string, to: string): WorkflowDocument {
  if (from === to || !ID_PATTERN.test(to) || doc.nodes.some((n) => n.id === to)) return doc
  return {
    ...doc,
    nodes: doc.nodes.map((n) => (n.id === from ? { ...n, id: to } : n)),
    edges: doc.edges.map((e) => ({ ...e, from: e.from === from ? to : e.from, to: e.to === from ? to : e.to })),
  }
}

/** The problems of a document the console can see without the server. */
export function validateLocally(doc: WorkflowDocument): Issue[] {
  const issues: Issue[] = []
  const add = (field: string, message: string, node?: string) => issues.push({ field, message, ...(node ? { node } : {}) })
  if (!NAME_PATTERN.test(doc.name ?? '')) add('name', 'lower-case letters, digits and dashes, starting with a letter or digit (at most 63)')

  const triggers = doc.triggers ?? []
  triggers.forEach((trigger, i) => {
    if (!TRIGGER_KINDS.includes(trigger.kind)) add(`triggers[${i}].kind`, `unknown trigger kind "${trigger.kind}"`)
    if (trigger.kind === 'cron') {
      const fields = (trigger.schedule ?? '').trim().split(/\s+/).filter(Boolean).length
      if (fields !== 5 && fields !== 6) add(`triggers[${i}].schedule`, 'a cron schedule has 5 or 6 fields ("0 3 * * *")')
    }
    if (trigger.kind === 'webhook' && trigger.provider && !WEBHOOK_PROVIDERS.includes(trigger.provider)) {
      add(`triggers[${i}].provider`, `one of ${WEBHOOK_PROVIDERS.join(', ')}`)
    }
    if (trigger.kind === 'event' && !EVENTS.includes(trigger.event)) add(`triggers[${i}].event`, 'choose an event')
  })
  if (doc.concurrency?.limit !== undefined && !(Number.isInteger(doc.concurrency.limit) && doc.concurrency.limit >= 1)) {
    add('concurrency.limit', 'a whole number, 1 or more')
  }

  const ids = new Set<string>()
  for (const node of doc.nodes) {
    const id = String(node.id ?? '')
    if (!ID_PATTERN.test(id)) add(`nodes.${id}.id`, 'lower-case letters, digits and _ (at most 64)', id)
    else if (ids.has(id)) add(`nodes.${id}.id`, `the id "${id}" is used twice`, id)
    ids.add(id)
    const meta = nodeMeta(node.type)
    if (!meta) {
      add(`nodes.${id}.type`, `unknown node type "${node.type}"`, id)
      continue
    }
    for (const field of [...meta.fields, ...COMMON_FIELDS]) {
      const value = getSetting(node, field.name)
      if (field.required && isEmpty(typeof value === 'string' ? value.trim() : value)) add(`nodes.${id}.${field.name}`, `${field.label} is required`, id)
      else if (field.kind === 'duration' && typeof value === 'string' && value !== '' && !value.includes('${{') && !DURATION_PATTERN.test(value)) {
        add(`nodes.${id}.${field.name}`, 'a duration like 30s, 5m or 1h30m', id)
      } else if (field.kind === 'number' && value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
        add(`nodes.${id}.${field.name}`, 'a number, 0 or more', id)
      }
    }
    if (node.type === 'switch') {
      const cases = stringList(node.cases)
      if (new Set(cases).size !== cases.length) add(`nodes.${id}.cases`, 'each case once', id)
      if (cases.includes('default')) add(`nodes.${id}.cases`, '"default" is the port of unmatched values: not a case', id)
    }
  }

  const byId = new Map(doc.nodes.map((n) => [n.id, n]))
  const seen = new Set<string>()
  doc.edges.forEach((edge, i) => {
    const field = `edges[${i}]`
    const source = byId.get(edge.from)
    if (!source) add(field, `no node "${edge.from}" to start from`)
    if (!byId.has(edge.to)) add(field, `no node "${edge.to}" to go to`)
    if (edge.from === edge.to) add(field, `"${edge.from}" is connected to itself`)
    const key = edgeKey(edge)
    if (seen.has(key)) add(field, `${edge.from} → ${edge.to}${edge.port ? ` (${edge.port})` : ''} is there twice`)
    seen.add(key)
    if (source) {
      const ports = portsOf(source)
      if (ports.length && !edge.port) add(field, `an edge from ${source.type} "${source.id}" starts at a port: ${ports.join(', ')}`)
      else if (ports.length && edge.port && !ports.includes(edge.port)) add(field, `"${source.id}" has no port "${edge.port}" (${ports.join(', ')})`)
      else if (!ports.length && edge.port) add(field, `"${source.id}" has no ports`)
    }
  })

  const cycle = findCycle(doc)
  if (cycle) {
    const i = doc.edges.findIndex((e) => e.from === cycle[cycle.length - 2] && e.to === cycle[cycle.length - 1])
    add(`edges[${Math.max(i, 0)}]`, `a cycle: ${cycle.join(' → ')}`)
  }
  return issues
}

export const edgeKey = (e: WorkflowEdge) => `${e.from}\u0000${e.to}\u0000${e.port ?? ''}`

/** A cycle of the graph as the ids along it (the first repeated at the end), or null. */
export function findCycle(doc: WorkflowDocument): string[] | null {
  const next = new Map<string, string[]>()
  for (const e of doc.edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to])
  const state = new Map<string, 1 | 2>()
  const path: string[] = []
  const visit = (id: string): string[] | null => {
    state.set(id, 1)
    path.push(id)
    for (const to of next.get(id) ?? []) {
      if (state.get(to) === 1) return [...path.slice(path.indexOf(to)), to]
      if (!state.has(to)) {
        const found = visit(to)
        if (found) return found
      }
    }
    path.pop()
    state.set(id, 2)
    return null
  }
  for (const id of new Set([...doc.nodes.map((n) => n.id), ...next.keys()])) {
    if (!state.has(id)) {
      const found = visit(id)
      if (found) return found
    }
  }
  return null
}

/** Where issues point, for the canvas and the settings panel. */
export interface IssueIndex {
  /** node id → setting (`stack`, `retry.count`, `id`, or `` for the node itself) → message */
  nodes: Map<string, Map<string, string>>
  /** edge index → message */
  edges: Map<number, string>
  /** Issues of the workflow itself (name, triggers, inputs, concurrency) and anything else. */
  other: Issue[]
}

/**
 * Sorts issues (local, the server's validation, or a 422's `errors`) by where they point:
 * `nodes.<id>.<setting>` (or `nodes[<index>].<setting>`) to the node's field, `edges[<i>]`
 * to the edge, the rest to the workflow.
 */
export function indexIssues(issues: Issue[], doc: WorkflowDocument): IssueIndex {
  const index: IssueIndex = { nodes: new Map(), edges: new Map(), other: [] }
  const ids = new Set(doc.nodes.map((n) => n.id))
  for (const issue of issues) {
    let node: string | undefined
    let setting = ''
    const byIndex = /^nodes\[(\d+)\](?:\.(.+))?$/.exec(issue.field)
    if (byIndex) {
      node = doc.nodes[Number(byIndex[1])]?.id
      setting = byIndex[2] ?? ''
    } else if (issue.field.startsWith('nodes.')) {
      const rest = issue.field.slice('nodes.'.length)
      // Ids have no dots: the first segment is the id.
      const dot = rest.indexOf('.')
      node = dot < 0 ? rest : rest.slice(0, dot)
      setting = dot < 0 ? '' : rest.slice(dot + 1)
    } else if (issue.node) {
      node = issue.node
      setting = issue.field
    }
    if (node !== undefined && ids.has(node)) {
      const fields = index.nodes.get(node) ?? new Map<string, string>()
      if (!fields.has(setting)) fields.set(setting, issue.message)
      index.nodes.set(node, fields)
      continue
    }
    const edge = /^edges\[(\d+)\]/.exec(issue.field)
    if (edge && Number(edge[1]) < doc.edges.length) {
      if (!index.edges.has(Number(edge[1]))) index.edges.set(Number(edge[1]), issue.message)
    }
    index.other.push(issue)
  }
  return index
}

/** The document without anything the console adds: empty optional settings are dropped. */
export function cleanDocument(doc: WorkflowDocument): WorkflowDocument {
  const out: WorkflowDocument = { name: doc.name, nodes: [], edges: [] }
  if (doc.description) out.description = doc.description
  if (doc.inputs && Object.keys(doc.inputs).length) out.inputs = doc.inputs
  if (doc.triggers?.length) out.triggers = doc.triggers.map((t) => dropEmpty(t as unknown as Record<string, unknown>) as unknown as Trigger)
  if (doc.concurrency && !isEmpty(dropEmpty(doc.concurrency as Record<string, unknown>))) out.concurrency = dropEmpty(doc.concurrency as Record<string, unknown>) as Concurrency
  out.nodes = doc.nodes.map((n) => {
    const required = new Set((nodeMeta(n.type)?.fields ?? []).filter((f) => f.required).map((f) => f.name))
    const node: WorkflowNode = { id: n.id, type: n.type }
    for (const [k, v] of Object.entries(n)) {
      if (k === 'id' || k === 'type') continue
      if (isEmpty(v) && !required.has(k)) continue
      node[k] = v
    }
    return node
  })
  out.edges = doc.edges.map((e) => (e.port ? { from: e.from, to: e.to, port: e.port } : { from: e.from, to: e.to }))
  return out
}

function dropEmpty(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => !isEmpty(v)))
}

/** A document from the API (a free-form object), with the arrays it must have. */
export function asDocument(value: unknown, name = ''): WorkflowDocument {
  const o = (value && typeof value === 'object' ? value : {}) as Partial<WorkflowDocument>
  return {
    ...o,
    name: typeof o.name === 'string' ? o.name : name,
    nodes: Array.isArray(o.nodes) ? o.nodes.filter((n) => n && typeof n === 'object').map((n) => ({ ...n, id: String(n.id ?? ''), type: String(n.type ?? '') })) : [],
    edges: Array.isArray(o.edges) ? o.edges.filter((e) => e && typeof e === 'object').map((e) => {
      const { port, ...rest } = e
      // YAML reads an unquoted `port: true` as a boolean.
      return { ...rest, from: String(e.from ?? ''), to: String(e.to ?? ''), ...(port !== undefined && port !== null && port !== '' ? { port: String(port) } : {}) }
    }) : [],
  }
}

/** JSON with object keys sorted: equal documents give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  )
}
