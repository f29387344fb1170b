// The provider form's text fields: lists as comma- or space-separated text, and group
// mappings as one `group org role` line each.
import type { components } from '@/api/schema'

type S = components['schemas']
export type GroupMapping = S['SsoGroupMapping']
const ROLES: S['Role'][] = ['viewer', 'operator', 'admin', 'owner']

export const splitList = (text: string): string[] =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean)

export const formatMappings = (list: GroupMapping[]): string => list.map((m) => `${m.group} ${m.org} ${m.role}`).join('\n')

/** `group org role` per line; the errors name their line. */
export function parseMappings(text: string): { mappings: GroupMapping[]; errors: string[] } {
  const mappings: GroupMapping[] = []
  const errors: string[] = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim()
    if (!line || line.startsWith('#')) return
    const parts = line.split(/\s+/)
    if (parts.length !== 3) {
      errors.push(`line ${i + 1}: expected "group organization role"`)
      return
    }
    const [group, org, role] = parts
    if (!ROLES.includes(role as S['Role'])) {
      errors.push(`line ${i + 1}: role must be one of ${ROLES.join(', ')}`)
      return
    }
    mappings.push({ group, org, role: role as S['Role'] })
  })
  return { mappings, errors }
}
