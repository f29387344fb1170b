// The document as Vue Flow's nodes and edges and back, the automatic layout (dagre, left to
// right) and copy/paste of nodes. Pure: the canvas components hold the Vue Flow state.
import { Graph, layout } from '@dagrejs/dagre'
import type { Edge, Node } from '@vue-flow/core'
import { uniqueId, type Point, type WorkflowDocument, type WorkflowEdge, type WorkflowNode } from './document'

/** What a canvas node carries: the node of the document (without its position). */
export interface FlowNodeData {
  spec: WorkflowNode
  /** Run view: the node's status in the run. */
  status?: string
  /** How many issues point at it. */
  issues?: number
}
export type FlowNode = Node<FlowNodeData>
export type FlowEdge = Edge<{ port?: string; invalid?: string }>

/** The Vue Flow type of every workflow node (a slot `#node-workflow`). */
export const NODE_KIND = 'workflow'
/** The drag-and-drop type of a palette item (its data: the node type). */
export const DRAG_TYPE = 'application/x-windflow-node'
export const NODE_WIDTH = 200
export const NODE_HEIGHT = 64

export const edgeId = (e: WorkflowEdge) => `${e.from}->${e.to}${e.port ? `:${e.port}` : ''}`

export function toFlowEdge(e: WorkflowEdge): FlowEdge {
  return {
    id: edgeId(e),
    source: e.from,
    target: e.to,
    ...(e.port ? { sourceHandle: e.port, label: e.port } : {}),
    data: e.port ? { port: e.port } : {},
  }
}

export function toFlowNode(spec: WorkflowNode, position: Point): FlowNode {
  const { position: _drop, ...rest } = spec
  void _drop
  return { id: spec.id, type: NODE_KIND, position: { ...position }, data: { spec: rest as WorkflowNode } }
}

/** The canvas of a document; nodes without a position are laid out automatically. */
export function documentToGraph(doc: WorkflowDocument): { nodes: FlowNode[]; edges: FlowEdge[] } {
  const missing = doc.nodes.some((n) => !validPoint(n.position))
  // dagre takes ~1 ms a node in a browser: a big workflow without positions opens with the
  // linear layered layout (its Auto-layout button still runs dagre).
  const laid = !missing ? new Map<string, Point>() : doc.nodes.length > QUICK_LAYOUT_ABOVE ? quickLayout(doc.nodes, doc.edges) : autoLayout(doc.nodes, doc.edges)
  const nodes = doc.nodes.map((n) => toFlowNode(n, validPoint(n.position) ? n.position! : laid.get(n.id) ?? { x: 0, y: 0 }))
  return { nodes, edges: doc.edges.map(toFlowEdge) }
}

function validPoint(p: unknown): p is Point {
  return !!p && typeof p === 'object' && Number.isFinite((p as Point).x) && Number.isFinite((p as Point).y)
}

/** The document of a canvas: `meta` (name, triggers…) with its nodes, positions saved, and edges. */
export function graphToDocument(
  meta: Omit<WorkflowDocument, 'nodes' | 'edges'>,
  nodes: Pick<FlowNode, 'id' | 'position' | 'data'>[],
  edges: Pick<FlowEdge, 'source' | 'target' | 'sourceHandle' | 'data'>[],
): WorkflowDocument {
  return {
    ...meta,
    nodes: nodes.map((n) => ({
      ...toRaw(n.data!.spec),
      id: n.id,
      position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
    })),
    edges: edges.map((e) => {
      const port = e.data?.port ?? e.sourceHandle ?? undefined
      return port ? { from: e.source, to: e.target, port } : { from: e.source, to: e.target }
    }),
  }
}

/** A plain copy of reactive data (structuredClone refuses proxies). */
function toRaw<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

/** Positions (top-left corners) of every node, laid out left to right by dagre. */
export function autoLayout(nodes: Pick<WorkflowNode, 'id'>[], edges: WorkflowEdge[]): Map<string, Point> {
  const g = new Graph({ multigraph: true })
  g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 80, marginx: 20, marginy: 20, ranker: 'longest-path' })
  g.setDefaultEdgeLabel(() => ({}))
  const ids = new Set(nodes.map((n) => n.id))
  for (const n of nodes) g.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT })
  edges.forEach((e, i) => {
    if (ids.has(e.from) && ids.has(e.to) && e.from !== e.to) g.setEdge(e.from, e.to, {}, `e${i}`)
  })
  layout(g)
  const out = new Map<string, Point>()
  for (const n of nodes) {
    const p = g.node(n.id) as { x: number; y: number }
    out.set(n.id, { x: Math.round(p.x - NODE_WIDTH / 2), y: Math.round(p.y - NODE_HEIGHT / 2) })
  }
  return out
}

/** Above this many nodes, a document without positions opens with `quickLayout`. */
export const QUICK_LAYOUT_ABOVE = 40

/**
 * A layered layout, left to right, in linear time: each node's column is the longest path to
 * it from a node without predecessors (nodes on a cycle go last), and each column is ordered by
 * the mean row of the node's predecessors, centred on the first row.
 */
export function quickLayout(nodes: Pick<WorkflowNode, 'id'>[], edges: WorkflowEdge[]): Map<string, Point> {
  const ids = nodes.map((n) => n.id)
  const known = new Set(ids)
  const next = new Map<string, string[]>(ids.map((id) => [id, []]))
  const prev = new Map<string, string[]>(ids.map((id) => [id, []]))
  const indegree = new Map<string, number>(ids.map((id) => [id, 0]))
  for (const e of edges) {
    if (!known.has(e.from) || !known.has(e.to) || e.from === e.to) continue
    next.get(e.from)!.push(e.to)
    prev.get(e.to)!.push(e.from)
    indegree.set(e.to, indegree.get(e.to)! + 1)
  }
  const rank = new Map<string, number>()
  const queue = ids.filter((id) => indegree.get(id) === 0)
  for (const id of queue) rank.set(id, 0)
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]
    for (const to of next.get(id)!) {
      rank.set(to, Math.max(rank.get(to) ?? 0, rank.get(id)! + 1))
      indegree.set(to, indegree.get(to)! - 1)
      if (indegree.get(to) === 0) queue.push(to)
    }
  }
  const last = Math.max(0, ...rank.values()) + 1
  for (const id of ids) if (!rank.has(id)) rank.set(id, last)
  const columns: string[][] = []
  const placed = new Set(queue)
  for (const id of [...queue, ...ids.filter((id) => !placed.has(id))]) (columns[rank.get(id)!] ??= []).push(id)
  const row = new Map<string, number>()
  const out = new Map<string, Point>()
  columns.forEach((column, x) => {
    const mean = (id: string) => {
      const rows = prev.get(id)!.map((p) => row.get(p)).filter((r): r is number => r !== undefined)
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : 0
    }
    const ordered = x === 0 ? column : [...column].sort((a, b) => mean(a) - mean(b))
    ordered.forEach((id, i) => {
      const r = i - (ordered.length - 1) / 2
      row.set(id, r)
      out.set(id, { x: Math.round(x * (NODE_WIDTH + 80)), y: Math.round(r * (NODE_HEIGHT + 40)) })
    })
  })
  return out
}

/** What Ctrl+C keeps: the copied nodes (with positions) and the edges between them. */
export interface Clipboard {
  nodes: WorkflowNode[]
  edges: WorkflowEdge[]
}

export function copyNodes(doc: WorkflowDocument, selected: Iterable<string>): Clipboard {
  const ids = new Set(selected)
  return toRaw({
    nodes: doc.nodes.filter((n) => ids.has(n.id)),
    edges: doc.edges.filter((e) => ids.has(e.from) && ids.has(e.to)),
  })
}

/**
 * The clipboard's nodes as new nodes of `doc`: fresh ids (from each one's type), positions
 * moved by `offset`, and the edges between them renamed along.
 */
export function pasteNodes(doc: WorkflowDocument, clip: Clipboard, offset = 40): Clipboard {
  const taken = new Set(doc.nodes.map((n) => n.id))
  const renamed = new Map<string, string>()
  const nodes = clip.nodes.map((n) => {
    const id = uniqueId(n.type, taken)
    taken.add(id)
    renamed.set(n.id, id)
    const p = n.position ?? { x: 0, y: 0 }
    return { ...toRaw(n), id, position: { x: p.x + offset, y: p.y + offset } }
  })
  const edges = clip.edges.map((e) => ({ ...e, from: renamed.get(e.from)!, to: renamed.get(e.to)! }))
  return { nodes, edges }
}
