// Times and durations as the console shows them.

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['week', 7 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
]
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' })

/** "3 min. ago", "yesterday", "in 2 hr." — relative to `now`. */
export function ago(at: string | Date, now: number = Date.now()): string {
  const diff = new Date(at).getTime() - now
  if (Math.abs(diff) < 10_000) return 'just now'
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms) return relative.format(Math.round(diff / ms), unit)
  }
  return 'just now'
}

/** The full local date and time. */
export function absolute(at: string | Date): string {
  return new Date(at).toLocaleString()
}

/** How long something took: "850 ms", "12.3 s", "4 min 05 s". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Math.round((ms % 60_000) / 1000)
  return `${minutes} min ${String(seconds).padStart(2, '0')} s`
}

/** How long something that started at `start` ran: until `end`, or until now while it runs. */
export function took(start?: string | null, end?: string | null): string | null {
  if (!start) return null
  return duration((end ? Date.parse(end) : Date.now()) - Date.parse(start))
}
