import { describe, expect, it } from 'vitest'
import { autoLayout, copyNodes, documentToGraph, graphToDocument, pasteNodes, quickLayout } from './graph'
import type { WorkflowDocument } from './document'
import { createHistory } from './history'

const DOC: WorkflowDocument = {
  name: 'w',
  description: 'd',
  triggers: [{ kind: 'manual' }, { kind: 'cron', schedule: '0 3 * * *' }],
  nodes: [
    { id: 'pull', type: 'git_update', stack: 'web', repository: 'r', position: { x: 0, y: 0 } },
    { id: 'check', type: 'condition', expression: 'true', position: { x: 300, y: 0 } },
    { id: 'go', type: 'deploy', stack: 'web', retry: { count: 2 }, position: { x: 600, y: 0 } },
  ],
  edges: [{ from: 'pull', to: 'check' }, { from: 'check', to: 'go', port: 'true' }],
}
const meta = ({ nodes: _n, edges: _e, ...rest }: WorkflowDocument) => rest

describe('document ↔ graph', () => {
  it('round-trips: settings, positions, ports', () => {
    const { nodes, edges } = documentToGraph(DOC)
    expect(nodes[1]).toMatchObject({ id: 'check', type: 'workflow', position: { x: 300, y: 0 }, data: { spec: { id: 'check', type: 'condition', expression: 'true' } } })
    expect('position' in nodes[1].data!.spec).toBe(false)
    expect(edges[1]).toMatchObject({ id: 'check->go:true', source: 'check', target: 'go', sourceHandle: 'true', data: { port: 'true' } })
    expect(graphToDocument(meta(DOC), nodes, edges)).toEqual(DOC)
  })

  it('saves moved positions, rounded', () => {
    const { nodes, edges } = documentToGraph(DOC)
    nodes[0].position = { x: 12.6, y: -3.2 }
    expect(graphToDocument(meta(DOC), nodes, edges).nodes[0].position).toEqual({ x: 13, y: -3 })
  })

  it('lays out nodes without a position, left to right, none on another', () => {
    const doc: WorkflowDocument = {
      name: 'w',
      nodes: ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, type: 'wait', duration: '1s' })),
      edges: [{ from: 'a', to: 'b' }, { from: 'a', to: 'c' }, { from: 'b', to: 'd' }, { from: 'c', to: 'd' }, { from: 'd', to: 'e' }],
    }
    const { nodes } = documentToGraph(doc)
    const at = Object.fromEntries(nodes.map((n) => [n.id, n.position]))
    expect(new Set(nodes.map((n) => `${n.position.x},${n.position.y}`)).size).toBe(5)
    expect(at.a.x).toBeLessThan(at.b.x)
    expect(at.b.x).toBe(at.c.x)
    expect(at.b.y).not.toBe(at.c.y)
    expect(at.d.x).toBeGreaterThan(at.b.x)
    expect(at.e.x).toBeGreaterThan(at.d.x)
  })

  it('auto-layout gives distinct positions even without edges', () => {
    const nodes = Array.from({ length: 20 }, (_, i) => ({ id: `n${i}` }))
    const at = autoLayout(nodes, [])
    expect(new Set([...at.values()].map((p) => `${p.x},${p.y}`)).size).toBe(20)
  })
})

describe('the quick layout of big workflows', () => {
  it('columns by longest path, distinct positions, cycles last', () => {
    const nodes = Array.from({ length: 100 }, (_, i) => ({ id: `n${i}` }))
    const edges = nodes.slice(1).map((n, i) => ({ from: `n${Math.floor(i / 2)}`, to: n.id }))
    const at = quickLayout(nodes, [...edges, { from: 'n99', to: 'n98' }, { from: 'n98', to: 'n99' }])
    expect(new Set([...at.values()].map((p) => `${p.x},${p.y}`)).size).toBe(100)
    expect(at.get('n0')!.x).toBe(0)
    expect(at.get('n1')!.x).toBeGreaterThan(0)
    expect(at.get('n3')!.x).toBeGreaterThan(at.get('n1')!.x)
    for (const e of edges.filter((e) => !['n98', 'n99'].includes(e.to))) expect(at.get(e.to)!.x).toBeGreaterThan(at.get(e.from)!.x)
  })

  it('a big document without positions opens with it', () => {
    const doc: WorkflowDocument = { name: 'w', nodes: Array.from({ length: 60 }, (_, i) => ({ id: `n${i}`, type: 'join' })), edges: [] }
    const { nodes } = documentToGraph(doc)
    expect(nodes.every((n) => n.position.x === 0)).toBe(true)
    expect(new Set(nodes.map((n) => n.position.y)).size).toBe(60)
  })
})

describe('copy and paste', () => {
  it('pastes with new ids from the type, moved, edges between copies renamed', () => {
    const clip = copyNodes(DOC, ['check', 'go'])
    expect(clip.edges).toEqual([{ from: 'check', to: 'go', port: 'true' }])
    const pasted = pasteNodes(DOC, clip)
    expect(pasted.nodes.map((n) => [n.id, n.position])).toEqual([['condition', { x: 340, y: 40 }], ['deploy', { x: 640, y: 40 }]])
    expect(pasted.edges).toEqual([{ from: 'condition', to: 'deploy', port: 'true' }])
    // Pasted twice: still unique.
    const twice = { ...DOC, nodes: [...DOC.nodes, ...pasted.nodes] }
    expect(pasteNodes(twice, clip).nodes.map((n) => n.id)).toEqual(['condition_2', 'deploy_2'])
    // The clipboard is a copy: editing the document later does not change it.
    expect(clip.nodes[1].retry).toEqual({ count: 2 })
    expect(clip.nodes[1]).not.toBe(DOC.nodes[2])
  })
})

describe('undo/redo', () => {
  it('walks back and forth; a new change clears redo', () => {
    const h = createHistory({ n: 0 })
    h.commit({ n: 1 })
    h.commit({ n: 2 })
    expect(h.undo()).toEqual({ n: 1 })
    expect(h.undo()).toEqual({ n: 0 })
    expect(h.undo()).toBeNull()
    expect(h.redo()).toEqual({ n: 1 })
    expect(h.canRedo).toBe(true)
    h.commit({ n: 5 })
    expect(h.canRedo).toBe(false)
    expect(h.redo()).toBeNull()
    expect(h.present).toEqual({ n: 5 })
  })

  it('skips a snapshot equal to the present and keeps at most `limit`', () => {
    const h = createHistory({ n: 0 }, 3)
    expect(h.commit({ n: 0 })).toBe(false)
    for (let n = 1; n <= 10; n++) h.commit({ n })
    const back = []
    for (let s = h.undo(); s; s = h.undo()) back.push(s.n)
    expect(back).toEqual([9, 8, 7])
  })

  it('returns copies: changing an undone snapshot does not change the history', () => {
    const h = createHistory({ list: [1] })
    h.commit({ list: [1, 2] })
    const s = h.undo()!
    s.list.push(99)
    expect(h.present).toEqual({ list: [1] })
  })
})
