// Certificates and gateways as the console shows them: status tags, expiry wording, the
// upload call and its field errors. Pure: the views and the store do the calls.
import { isApiError } from '@/api/problem'
import type { components } from '@/api/schema'
import { ago } from '@/composables/useTime'

type Certificate = components['schemas']['Certificate']
type UploadCertificateRequest = components['schemas']['UploadCertificateRequest']
type GatewayInfo = components['schemas']['GatewayInfo']

/** The tag type of a certificate's status: expired red, expiring orange, valid green. */
export function certificateTagType(status: string): 'success' | 'warning' | 'danger' | 'info' {
  switch (status) {
    case 'valid': return 'success'
    case 'expiring': return 'warning'
    case 'expired': return 'danger'
    default: return 'info'
  }
}

/** "expires in 2 mo.", "expired 3 days ago". */
export function expiryText(notAfter: string, now: number = Date.now()): string {
  const when = ago(notAfter, now)
  return Date.parse(notAfter) <= now ? `expired ${when}` : `expires ${when}`
}

/** When WindFlow renews a certificate, as a sentence (uploaded ones are never renewed). */
export function renewalText(c: Pick<Certificate, 'source' | 'renewal_at'>, now: number = Date.now()): string {
  if (c.source !== 'acme') return 'not renewed (uploaded): upload a new one before it expires'
  if (!c.renewal_at) return '—'
  return Date.parse(c.renewal_at) <= now ? `due (since ${ago(c.renewal_at, now)})` : `renews ${ago(c.renewal_at, now)}`
}

/** What `tls:` names: letters, digits, '.', '-' and '_' (as the server checks it). */
export function certificateNameError(name: string): string | null {
  const n = name.trim()
  if (!n) return 'name the certificate (what a service\'s TLS setting names)'
  if (n.length > 128) return 'at most 128 characters'
  if (!/^[A-Za-z0-9._-]+$/.test(n)) return 'use letters, digits, ".", "-" and "_"'
  return null
}

export type UploadForm = { name: string; chain_pem: string; key_pem: string }

/** The upload_certificate call for `form`: the trimmed name and the PEM texts as given. */
export function uploadCall(form: UploadForm): { name: string; body: UploadCertificateRequest } {
  return { name: form.name.trim(), body: { chain_pem: form.chain_pem, key_pem: form.key_pem } }
}

export type UploadField = keyof UploadForm

/** A 422's (or 409's) field errors keyed by the upload form's field, or null. */
export function uploadFieldErrors(e: unknown): Partial<Record<UploadField, string>> | null {
  if (!isApiError(e)) return null
  const out: Partial<Record<UploadField, string>> = {}
  for (const f of e.problem?.errors ?? []) {
    if (f.field !== 'name' && f.field !== 'chain_pem' && f.field !== 'key_pem') continue
    out[f.field] = out[f.field] ? `${out[f.field]}; ${f.message}` : f.message
  }
  return Object.keys(out).length ? out : null
}

/** The certificates a service's TLS select offers, soonest-expiring last; expired ones are left out. */
export function usableCertificates(certs: Certificate[]): Certificate[] {
  return certs.filter((c) => c.status !== 'expired').sort((a, b) => Date.parse(b.not_after) - Date.parse(a.not_after))
}

/** A gateway's state in one word: `unsupported`, `running` or `stopped`. */
export function gatewayState(g: Pick<GatewayInfo, 'supported' | 'running'>): 'unsupported' | 'running' | 'stopped' {
  if (!g.supported) return 'unsupported'
  return g.running ? 'running' : 'stopped'
}
