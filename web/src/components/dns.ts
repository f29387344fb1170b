// DNS zones and records as the console shows them: DNSSEC and health tags, key lines. Pure:
// the view and the store do the calls.
import type { components } from '@/api/schema'

type DnsZone = components['schemas']['DnsZone']
type DnssecKey = components['schemas']['DnssecKey']
type DnsRecordHealth = components['schemas']['DnsRecordHealth']
type TagType = 'success' | 'warning' | 'danger' | 'info'

/** A zone's DNSSEC state: its label and tag type (signed green, unsigned grey, unreadable red). */
export function dnssecState(zone: Pick<DnsZone, 'signed' | 'error'>): { label: string; type: TagType } {
  if (zone.error) return { label: 'unknown', type: 'danger' }
  return zone.signed ? { label: 'signed', type: 'success' } : { label: 'unsigned', type: 'info' }
}

/** A record's health: in sync green, mismatch red, unchecked grey. */
export function healthState(health: DnsRecordHealth): { label: string; type: TagType } {
  switch (health) {
    case 'in_sync': return { label: 'in sync', type: 'success' }
    case 'mismatch': return { label: 'mismatch', type: 'danger' }
    default: return { label: 'unchecked', type: 'info' }
  }
}

/** "CSK 2371 · ECDSAP256SHA256", with "(inactive)" for a key not signing. */
export function keyText(key: DnssecKey): string {
  return `${key.role.toUpperCase()} ${key.key_tag} · ${key.algorithm_name}${key.active ? '' : ' (inactive)'}`
}

/** The DS record as the registrar's zone file would hold it. */
export function dsLine(zone: string, ds: string): string {
  return `${zone}. IN DS ${ds}`
}
