// Undo/redo over snapshots of the document: bounded, and a snapshot equal to the present one
// is not recorded (dragging a node back where it was, an edit that changes nothing).

export interface History<T> {
  /** Records `next` as the present (the previous present goes to undo); clears redo. */
  commit(next: T): boolean
  /** The snapshot before the present (which goes to redo), or null. */
  undo(): T | null
  redo(): T | null
  /** Starts over with `present` as the only snapshot. */
  reset(present: T): void
  readonly canUndo: boolean
  readonly canRedo: boolean
  readonly present: T
}

export function createHistory<T>(initial: T, limit = 100): History<T> {
  let past: string[] = []
  let future: string[] = []
  let present = JSON.stringify(initial)
  const read = (s: string) => JSON.parse(s) as T
  return {
    commit(next) {
      const text = JSON.stringify(next)
      if (text === present) return false
      past.push(present)
      if (past.length > limit) past = past.slice(past.length - limit)
      present = text
      future = []
      return true
    },
    undo() {
      const previous = past.pop()
      if (previous === undefined) return null
      future.push(present)
      present = previous
      return read(present)
    },
    redo() {
      const next = future.pop()
      if (next === undefined) return null
      past.push(present)
      present = next
      return read(present)
    },
    reset(value) {
      past = []
      future = []
      present = JSON.stringify(value)
    },
    get canUndo() {
      return past.length > 0
    },
    get canRedo() {
      return future.length > 0
    },
    get present() {
      return read(present)
    },
  }
}
