// The AI assistant as the console shows it: one line per progress event of a generation, and
// a proposed compose file handed from one page to the stack editor (through sessionStorage, so
// it survives the navigation but not the tab). Pure apart from that storage.

/** A `progress` event of `POST …/ai/generate` (text/event-stream). */
export interface GenerateProgress {
  step: string
  round?: number
  max_rounds?: number
  prompt_tokens?: number
  completion_tokens?: number
  duration_ms?: number
  errors?: number
  warnings?: number
  target?: string
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** `round 1/3: asking…`, `round 1/3: answered (812 tokens, 4.2 s)`, `round 1/3: checked: 2 errors, 1 warning`. */
export function progressLine(p: GenerateProgress, maxRounds?: number): string {
  const of = p.max_rounds ?? maxRounds
  const round = p.round != null ? `round ${p.round}${of ? `/${of}` : ''}: ` : ''
  switch (p.step) {
    case 'asking':
      return `${round}asking the model…`
    case 'answered': {
      const tokens = (p.prompt_tokens ?? 0) + (p.completion_tokens ?? 0)
      const took = p.duration_ms != null ? `, ${(p.duration_ms / 1000).toFixed(1)} s` : ''
      return `${round}answered (${tokens} tokens${took})`
    }
    case 'checked':
      return `${round}checked: ${plural(p.errors ?? 0, 'error')}, ${plural(p.warnings ?? 0, 'warning')}`
    case 'planning':
      return `planning${p.target ? ` against ${p.target}` : ''}…`
    default:
      return `${round}${p.step}`
  }
}

/** Folds a progress event into the list: the largest round count seen is kept for later lines. */
export function addProgress(lines: string[], p: GenerateProgress, state: { maxRounds?: number }): string[] {
  if (p.max_rounds) state.maxRounds = p.max_rounds
  return [...lines, progressLine(p, state.maxRounds)]
}

const KEY = (org: string, stack: string) => `windflow.proposal.${org}.${stack}`

/** A compose file proposed for a stack (a diagnosis' fix), and where it came from. */
export interface Proposal {
  compose: string
  from: string
}

/** Keeps `proposal` for the stack editor of `stack` to pick up. */
export function offerProposal(org: string, stack: string, proposal: Proposal, storage: Storage = sessionStorage) {
  storage.setItem(KEY(org, stack), JSON.stringify(proposal))
}

/** The proposal waiting for `stack`, taken once. */
export function takeProposal(org: string, stack: string, storage: Storage = sessionStorage): Proposal | null {
  const text = storage.getItem(KEY(org, stack))
  if (text == null) return null
  storage.removeItem(KEY(org, stack))
  try {
    const p = JSON.parse(text) as Proposal
    return typeof p?.compose === 'string' ? p : null
  } catch {
    return null
  }
}

/** A unified diff's lines with their kind, for colouring. */
export function diffLines(diff: string): { text: string; kind: 'add' | 'remove' | 'hunk' | 'file' | 'context' }[] {
  return diff
    .replace(/\n$/, '')
    .split('\n')
    .map((text) => {
      if (text.startsWith('+++') || text.startsWith('---')) return { text, kind: 'file' as const }
      if (text.startsWith('@@')) return { text, kind: 'hunk' as const }
      if (text.startsWith('+')) return { text, kind: 'add' as const }
      if (text.startsWith('-')) return { text, kind: 'remove' as const }
      return { text, kind: 'context' as const }
    })
}

/** The provider form: the key is write-only (`keep` it, `set` a new one, or `clear` it). */
export interface ProviderForm {
  base_url: string
  model: string
  key: 'keep' | 'set' | 'clear'
  api_key: string
  timeout_s?: number
  max_tokens?: number
  monthly_token_budget?: number
  json_schema: boolean
}

/** The PUT body: `api_key` absent keeps the stored key, `""` clears it. */
export function providerRequest(form: ProviderForm) {
  return {
    base_url: form.base_url.trim(),
    model: form.model.trim(),
    ...(form.key === 'set' ? { api_key: form.api_key } : form.key === 'clear' ? { api_key: '' } : {}),
    timeout_s: form.timeout_s ?? null,
    max_tokens: form.max_tokens ?? null,
    monthly_token_budget: form.monthly_token_budget ?? null,
    json_schema: form.json_schema,
  }
}

/** `12 345 of 1 000 000 tokens (1%)`, or without a budget `12 345 tokens (no limit)`. */
export function budgetText(used: number, budget: number): string {
  const n = (v: number) => v.toLocaleString('en-US')
  if (!budget) return `${n(used)} tokens (no limit)`
  return `${n(used)} of ${n(budget)} tokens (${Math.round((used / budget) * 100)}%)`
}

/** An import report summed up: per outcome and reason, how many templates. */
export function reportCounts(report: { outcome: string; reason: string }[]): { outcome: string; reason: string; count: number }[] {
  const counts = new Map<string, { outcome: string; reason: string; count: number }>()
  for (const note of report) {
    const key = `${note.outcome}\u0000${note.reason}`
    const found = counts.get(key)
    if (found) found.count++
    else counts.set(key, { outcome: note.outcome, reason: note.reason, count: 1 })
  }
  const rank: Record<string, number> = { skipped: 0, partial: 1, imported: 2 }
  return [...counts.values()].sort((a, b) => (rank[a.outcome] ?? 3) - (rank[b.outcome] ?? 3) || b.count - a.count || a.reason.localeCompare(b.reason))
}
