// A template's deploy form, generated from its inputs: which control each input kind gets, the
// checks the browser makes before asking the server, the values as the API takes them, and the
// server's field errors put back on their fields. Pure: the view does the calls.
import type { components } from '@/api/schema'

type TemplateInput = components['schemas']['TemplateInput']
type FieldError = components['schemas']['FieldError']
type TemplateSize = components['schemas']['TemplateSize']

/** The control an input is edited with. */
export type Control = 'text' | 'number' | 'switch' | 'select' | 'password' | 'computed'

export interface Field {
  name: string
  label: string
  description: string
  control: Control
  /** The browser asks for a value (no default, nothing generated or computed). */
  required: boolean
  placeholder: string
  min?: number
  max?: number
  /** Whole numbers only (ports). */
  integer: boolean
  options: string[]
  /** A secret the server generates when it is left empty. */
  generated: boolean
  /** For a computed input: its formula. */
  formula?: string
}

/** A form value: text for most controls, a number or a boolean for theirs. */
export type Value = string | number | boolean | undefined

export const DNS_NAME = /^(?=.{1,253}\.?$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.?$/i
/** Bytes, or a number with a unit: `512m`, `1.5g`, `2GiB`, `1024`, `64kb`. */
export const SIZE = /^\d+(?:\.\d+)?\s*(?:[kmgt]i?b?|b)?$/i
export const STACK_NAME = /^[a-z0-9][a-z0-9_-]*$/

/** The form field for `input`, by its kind. Unknown kinds are edited as text. */
export function fieldFor(input: TemplateInput): Field {
  const generated = input.kind === 'secret' && Boolean(input.generate)
  const base: Field = {
    name: input.name,
    label: input.label || input.name,
    description: input.description ?? '',
    control: 'text',
    required: input.required && (input.default == null || input.default === '') && !input.generate && !input.formula,
    placeholder: '',
    integer: false,
    options: input.options ?? [],
    generated,
  }
  if (input.formula) return { ...base, control: 'computed', required: false, formula: input.formula }
  switch (input.kind) {
    case 'number':
      return { ...base, control: 'number', min: input.min ?? undefined, max: input.max ?? undefined }
    case 'port':
      return { ...base, control: 'number', integer: true, min: input.min ?? 1, max: input.max ?? 65535 }
    case 'boolean':
      return { ...base, control: 'switch', required: false }
    case 'enum':
      return { ...base, control: 'select' }
    case 'secret':
      return { ...base, control: 'password', placeholder: generated ? 'leave empty to generate' : '' }
    case 'domain':
      return { ...base, placeholder: 'app.example.com' }
    case 'size':
      return { ...base, placeholder: '512m' }
    default:
      return base
  }
}

/** The form's starting value for `input`: its default, as its control holds it. */
export function initialValue(input: TemplateInput): Value {
  const field = fieldFor(input)
  const d = input.default ?? undefined
  switch (field.control) {
    case 'computed':
      return undefined
    case 'switch':
      return d === 'true' || d === '1' || d === 'yes'
    case 'number': {
      if (d == null || d === '') return undefined
      const n = Number(d)
      return Number.isFinite(n) ? n : undefined
    }
    default:
      return d ?? ''
  }
}

export function initialValues(inputs: TemplateInput[]): Record<string, Value> {
  return Object.fromEntries(inputs.map((i) => [i.name, initialValue(i)]))
}

function empty(value: Value) {
  return value === undefined || value === null || value === ''
}

/** A regular expression the whole value must match (a server-side syntax the browser lacks: none). */
function fullMatch(pattern: string): RegExp | null {
  try {
    return new RegExp(`^(?:${pattern})$`)
  } catch {
    return null
  }
}

/** What is wrong with `value` for `input`, or '' when the browser finds nothing. */
export function checkValue(input: TemplateInput, value: Value): string {
  const field = fieldFor(input)
  if (field.control === 'computed' || field.control === 'switch') return ''
  if (empty(value)) return field.required ? `${field.label} is required` : ''
  if (field.control === 'number') {
    const n = typeof value === 'number' ? value : Number(value)
    if (!Number.isFinite(n)) return 'a number'
    if (field.integer && !Number.isInteger(n)) return 'a whole number'
    if (field.min != null && n < field.min) return `at least ${field.min}`
    if (field.max != null && n > field.max) return `at most ${field.max}`
    return ''
  }
  const text = String(value)
  if (field.control === 'select' && field.options.length && !field.options.includes(text)) {
    return `one of ${field.options.join(', ')}`
  }
  if (input.kind === 'domain' && !DNS_NAME.test(text)) return 'a DNS name such as app.example.com'
  if (input.kind === 'size' && !SIZE.test(text)) return 'a size such as 512m, 2g or 1073741824'
  if (input.pattern) {
    const re = fullMatch(input.pattern)
    if (re && !re.test(text)) return `must match ${input.pattern}`
  }
  return ''
}

/** Every field's problem, by input name (only the fields with one). */
export function checkValues(inputs: TemplateInput[], values: Record<string, Value>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const input of inputs) {
    const problem = checkValue(input, values[input.name])
    if (problem) out[input.name] = problem
  }
  return out
}

/**
 * The values as the API takes them (strings): empty ones left out (the server uses the
 * default or generates), computed ones never sent, switches always (`true`/`false`).
 */
export function requestValues(inputs: TemplateInput[], values: Record<string, Value>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const input of inputs) {
    const field = fieldFor(input)
    const value = values[input.name]
    if (field.control === 'computed') continue
    if (field.control === 'switch') out[input.name] = value ? 'true' : 'false'
    else if (!empty(value)) out[input.name] = String(value)
  }
  return out
}

/** The server's field errors, on the form: inputs by name, the stack name, the target, the size. */
export interface FormErrors {
  values: Record<string, string>
  stack: string
  target: string
  size: string
  /** Errors of no field of the form (shown above it). */
  other: string[]
}

export function formErrors(errors: FieldError[] | undefined): FormErrors {
  const out: FormErrors = { values: {}, stack: '', target: '', size: '', other: [] }
  const add = (old: string, message: string) => (old ? `${old}; ${message}` : message)
  for (const e of errors ?? []) {
    const field = e.field ?? ''
    if (field.startsWith('values.')) {
      const name = field.slice('values.'.length)
      out.values[name] = add(out.values[name] ?? '', e.message)
    } else if (field === 'stack' || field === 'name') out.stack = add(out.stack, e.message)
    else if (field === 'target') out.target = add(out.target, e.message)
    else if (field === 'size' || field.startsWith('size.')) out.size = add(out.size, e.message)
    else out.other.push(field ? `${field}: ${e.message}${e.line != null ? ` (line ${e.line})` : ''}` : e.message)
  }
  return out
}

/** `536870912` → `512 MiB`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return '0 B'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  const text = v >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1)
  return `${text} ${units[i]}`
}

/** `0.5 CPU · 512 MiB · 5 GiB disk`. */
export function sizeText(size: TemplateSize): string {
  return `${size.cpus} CPU · ${formatBytes(size.memory_bytes)} · ${formatBytes(size.disk_bytes)} disk`
}

/** A resolved input's value as the preview shows it: secrets never. */
export function resolvedValue(input: { secret: boolean; value?: string | null }): string {
  if (input.secret) return '•••'
  return input.value ?? ''
}

/** A logo the console may show: its own or inline ones (the CSP blocks other hosts' images). */
export function logoSrc(logo: string | null | undefined): string | null {
  if (!logo) return null
  if (logo.startsWith('data:image/') || (logo.startsWith('/') && !logo.startsWith('//'))) return logo
  return null
}

/** A template's categories, each once, sorted, from a list of templates. */
export function categoriesOf(templates: { categories: string[] }[]): string[] {
  return [...new Set(templates.flatMap((t) => t.categories))].sort()
}
