import { describe, expect, it } from 'vitest'
import {
  NODE_TYPES, asDocument, cleanDocument, findCycle, indexIssues, newNode, portsOf, renameNode, setSetting, uniqueId, validateLocally,
  type WorkflowDocument,
} from './document'

const doc = (over: Partial<WorkflowDocument> = {}): WorkflowDocument => ({
  name: 'git-to-prod',
  triggers: [{ kind: 'manual' }],
  nodes: [
    { id: 'pull', type: 'git_update', stack: 'web', repository: 'http://git/web.git', reference: 'main', path: 'compose.yaml' },
    { id: 'is_main', type: 'condition', expression: "trigger.ref == 'refs/heads/main'" },
    { id: 'staging', type: 'deploy', stack: 'web', target: 'staging-1' },
  ],
  edges: [
    { from: 'pull', to: 'is_main' },
    { from: 'is_main', to: 'staging', port: 'true' },
  ],
  ...over,
})

/** The fields of the issues of `d`, for compact expectations. */
const check = (d: WorkflowDocument, expected: string[]) => expect(validateLocally(d).map((i) => i.field)).toEqual(expected)

describe('node ids', () => {
  it('takes the type, then numbers it', () => {
    expect(uniqueId('deploy', [])).toBe('deploy')
    expect(uniqueId('deploy', ['deploy'])).toBe('deploy_2')
    expect(uniqueId('deploy', ['deploy', 'deploy_2', 'deploy_4'])).toBe('deploy_3')
    expect(uniqueId('git_update', ['deploy'])).toBe('git_update')
  })

  it('a new node has its defaults, a fresh id and a rounded position', () => {
    const n = newNode('git_update', ['git_update'], { x: 10.4, y: 20.6 })
    expect(n).toEqual({ id: 'git_update_2', type: 'git_update', stack: '', repository: '', reference: 'main', path: 'compose.yaml', position: { x: 10, y: 21 } })
    // The defaults are copied, not shared.
    ;(newNode('exec', []).command as string[]).push('x')
    expect(NODE_TYPES.exec.defaults.command).toEqual([])
  })

  it('renaming a node renames its edges; a taken or invalid id is refused', () => {
    const d = renameNode(doc(), 'is_main', 'on_main')
    expect(d.nodes.map((n) => n.id)).toEqual(['pull', 'on_main', 'staging'])
    expect(d.edges).toEqual([{ from: 'pull', to: 'on_main' }, { from: 'on_main', to: 'staging', port: 'true' }])
    const same = doc()
    expect(renameNode(same, 'pull', 'staging')).toBe(same)
    expect(renameNode(same, 'pull', 'Pull!')).toBe(same)
  })
})

describe('ports', () => {
  it('condition: true/false; switch: its cases then default; others: none', () => {
    expect(portsOf({ id: 'c', type: 'condition' })).toEqual(['true', 'false'])
    expect(portsOf({ id: 's', type: 'switch', cases: ['a', 'b', ''] })).toEqual(['a', 'b', 'default'])
    expect(portsOf({ id: 'd', type: 'deploy' })).toEqual([])
  })
})

describe('local validation', () => {
  it('a valid document has no issues', () => check(doc(), []))

  it('required settings, at nodes.<id>.<setting>', () => {
    const d = doc()
    d.nodes[0].repository = '  '
    delete d.nodes[2].stack
    check(d, ['nodes.pull.repository', 'nodes.staging.stack'])
    expect(validateLocally(d)[0]).toMatchObject({ node: 'pull', message: 'Repository is required' })
  })

  it('ids: their pattern and each once', () => {
    const d = doc()
    d.nodes.push({ id: 'pull', type: 'wait', duration: '5m' }, { id: 'Bad-Id', type: 'join' })
    check(d, ['nodes.pull.id', 'nodes.Bad-Id.id'])
  })

  it('durations, retries and unknown types', () => {
    const d = doc()
    d.nodes.push({ id: 'w', type: 'wait', duration: '5 minutes', retry: { count: -1 } }, { id: 'x', type: 'teleport' })
    check(d, ['nodes.w.duration', 'nodes.w.retry.count', 'nodes.x.type'])
  })

  it('edges: unknown ends, duplicates, ports', () => {
    const d = doc()
    d.edges.push({ from: 'pull', to: 'is_main' }, { from: 'pull', to: 'ghost' }, { from: 'is_main', to: 'pull' }, { from: 'pull', to: 'staging', port: 'x' })
    const issues = validateLocally(d)
    expect(issues.map((i) => i.field)).toEqual(['edges[2]', 'edges[3]', 'edges[4]', 'edges[5]', 'edges[4]'])
    expect(issues[0].message).toContain('twice')
    expect(issues[2].message).toContain('starts at a port')
    expect(issues[3].message).toContain('has no ports')
    expect(issues[4].message).toBe('a cycle: pull → is_main → pull')
  })

  it('finds cycles', () => {
    expect(findCycle(doc())).toBeNull()
    expect(findCycle({ ...doc(), edges: [{ from: 'pull', to: 'staging' }, { from: 'staging', to: 'is_main' }, { from: 'is_main', to: 'staging', port: 'true' }] })).toEqual(['staging', 'is_main', 'staging'])
  })

  it('workflow name and triggers', () => {
    check({ ...doc(), name: 'Git To Prod', triggers: [{ kind: 'cron', schedule: '0 3 *' }, { kind: 'event', event: 'nope' }] }, ['name', 'triggers[0].schedule', 'triggers[1].event'])
  })
})

describe('issue index', () => {
  it("puts the server's fields on their node and setting, edges on edges, the rest on the workflow", () => {
    const index = indexIssues(
      [
        { field: 'nodes.pull.repository', message: 'not reachable' },
        { field: 'nodes.staging', message: 'target unknown' },
        { field: 'nodes[1].expression', message: 'syntax error' },
        { field: 'retry.count', node: 'staging', message: 'too many' },
        { field: 'edges[1]', message: 'bad port' },
        { field: 'triggers[0].schedule', message: 'bad cron' },
        { field: 'nodes.ghost.stack', message: 'gone' },
      ],
      doc(),
    )
    expect(Object.fromEntries(index.nodes.get('pull')!)).toEqual({ repository: 'not reachable' })
    expect(Object.fromEntries(index.nodes.get('staging')!)).toEqual({ '': 'target unknown', 'retry.count': 'too many' })
    expect(Object.fromEntries(index.nodes.get('is_main')!)).toEqual({ expression: 'syntax error' })
    expect(index.edges.get(1)).toBe('bad port')
    expect(index.other.map((i) => i.field)).toEqual(['edges[1]', 'triggers[0].schedule', 'nodes.ghost.stack'])
  })
})

describe('documents', () => {
  it('settings inside objects, and empty ones removed', () => {
    const n = newNode('deploy', [])
    setSetting(n, 'retry.count', 2)
    setSetting(n, 'retry.backoff', '5s')
    expect(n.retry).toEqual({ count: 2, backoff: '5s' })
    setSetting(n, 'retry.count', undefined)
    setSetting(n, 'retry.backoff', '')
    expect('retry' in n).toBe(false)
  })

  it('clean: drops empty optional settings, keeps required ones', () => {
    const d = cleanDocument({ name: 'w', description: '', concurrency: {}, nodes: [{ id: 'd', type: 'deploy', stack: '', target: '', version: 'latest' }], edges: [{ from: 'a', to: 'b', port: undefined }] })
    expect(d).toEqual({ name: 'w', nodes: [{ id: 'd', type: 'deploy', stack: '', version: 'latest' }], edges: [{ from: 'a', to: 'b' }] })
  })

  it('from the API: missing arrays, YAML booleans as ports', () => {
    expect(asDocument({ name: 'w', edges: [{ from: 'c', to: 'd', port: true }] })).toEqual({ name: 'w', nodes: [], edges: [{ from: 'c', to: 'd', port: 'true' }] })
    expect(asDocument(null, 'x')).toEqual({ name: 'x', nodes: [], edges: [] })
  })
})
