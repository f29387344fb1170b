// The Domains section of a stack: what the form sends to set a service's domains, how a 422
// maps onto its fields, and how a service's domains read in the list. Pure: the view and the
// store do the calls.
import { isApiError } from '@/api/problem'
import type { components } from '@/api/schema'

type SetDomainsRequest = components['schemas']['SetDomainsRequest']
type ServiceDomains = components['schemas']['ServiceDomains']

/** The environment select's value for a setting that applies to every environment. */
export const EVERY_ENVIRONMENT = ''

export type TlsChoice = 'auto' | 'off' | 'certificate'

export type DomainsForm = {
  service: string
  domains: string[]
  /** Empty: the compose file's `x-windflow.port`, else the service's only declared port. */
  port: string
  /** Automatic (ACME), off, or the stored certificate named in `certificate`. */
  tls: TlsChoice
  certificate: string
  /** An environment's name, or EVERY_ENVIRONMENT. */
  environment: string
}

export function emptyDomainsForm(service = ''): DomainsForm {
  return { service, domains: [], port: '', tls: 'auto', certificate: '', environment: EVERY_ENVIRONMENT }
}

/**
 * Splits what was typed or pasted into the domains field into names: commas, spaces and new
 * lines separate them; a scheme or a trailing slash someone copied from a browser is dropped.
 */
export function splitDomains(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((d) => d.trim().replace(/^https?:\/\//i, '').replace(/\/+$/, ''))
    .filter(Boolean)
}

/** What the form lacks before it can be sent (the server checks the rest), by field. */
export function checkDomainsForm(form: DomainsForm): Partial<Record<DomainsField, string>> {
  const out: Partial<Record<DomainsField, string>> = {}
  if (!form.service.trim()) out.service = 'choose a service'
  if (!form.domains.flatMap(splitDomains).length) out.domains = 'name at least one domain (press Enter after each)'
  const port = form.port.trim()
  if (port && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) out.port = 'a port from 1 to 65535, or empty for the compose file\'s'
  if (form.tls === 'certificate' && !form.certificate.trim()) out.tls = 'choose the certificate to serve'
  return out
}

/**
 * The set_stack_domains call for `form`: the service, the environment query (absent for
 * every environment) and the body. Names are trimmed and blanks dropped; duplicates are kept
 * so the server names the one listed twice.
 */
export function setDomainsCall(form: DomainsForm): { service: string; environment?: string; body: SetDomainsRequest } {
  const body: SetDomainsRequest = { domains: form.domains.flatMap(splitDomains) }
  const port = form.port.trim()
  if (port) body.port = Number(port)
  body.tls = form.tls === 'certificate' ? form.certificate.trim() : form.tls
  const environment = form.environment.trim()
  return { service: form.service.trim(), ...(environment ? { environment } : {}), body }
}

/** The form's fields a 422 is shown at. */
export type DomainsField = 'service' | 'domains' | 'port' | 'tls' | 'environment'
const FIELDS: DomainsField[] = ['service', 'domains', 'port', 'tls', 'environment']

/**
 * A 422's field errors keyed by the form field they belong to (`domains[2]` → `domains`,
 * naming the domain at fault), or null when the error names no field of the form (it is
 * toasted instead).
 */
export function domainsFieldErrors(e: unknown, domains: string[] = []): Partial<Record<DomainsField, string>> | null {
  if (!isApiError(e)) return null
  const out: Partial<Record<DomainsField, string>> = {}
  for (const f of e.problem?.errors ?? []) {
    const item = /^domains\[(\d+)\]$/.exec(f.field)
    const field = (item ? 'domains' : f.field) as DomainsField
    if (!FIELDS.includes(field)) continue
    const at = item ? domains.flatMap(splitDomains)[Number(item[1])] : undefined
    const message = at && !f.message.includes(at) ? `${at}: ${f.message}` : f.message
    out[field] = out[field] ? `${out[field]}; ${message}` : message
  }
  return Object.keys(out).length ? out : null
}

/** Where a domain is reached from a browser; null for a wildcard (no single address). */
export function domainUrl(domain: string, tls: string): string | null {
  if (domain.startsWith('*.')) return null
  return `${tls === 'off' ? 'http' : 'https'}://${domain}`
}

/** A TLS mode as the list shows it. */
export function tlsLabel(tls: string): string {
  if (tls === 'auto') return 'automatic (ACME)'
  if (tls === 'off') return 'off (plain HTTP)'
  return `certificate ${tls}`
}

/** Which environments a setting is for. */
export function environmentLabel(row: Pick<ServiceDomains, 'source' | 'environment'>): string {
  if (row.source === 'compose') return 'compose file'
  return row.environment ?? 'every environment'
}

/** The form prefilled from a listed control-plane setting (to change it). */
export function formFrom(row: ServiceDomains): DomainsForm {
  const named = row.tls !== 'auto' && row.tls !== 'off'
  return {
    service: row.service,
    domains: [...row.domains],
    port: String(row.port),
    tls: named ? 'certificate' : (row.tls as TlsChoice),
    certificate: named ? row.tls : '',
    environment: row.source === 'control-plane' ? (row.environment ?? EVERY_ENVIRONMENT) : EVERY_ENVIRONMENT,
  }
}
