// The grant form's logic, kept out of the component so it is tested as data.
import type { components } from '@/api/schema'

type S = components['schemas']

export const PERMISSIONS: S['Permission'][] = ['read', 'deploy', 'configure', 'audit', 'manage_members']

export interface GrantForm {
  subjectKind: 'user' | 'team'
  subject: string
  role: string
  scope: S['GrantScopeKind']
  scopeName: string
}

/** The request body for a grant: exactly one of user and team; a name unless organization-wide. */
export function grantBody(form: GrantForm): S['CreateGrantRequest'] {
  return {
    user: form.subjectKind === 'user' ? form.subject : null,
    team: form.subjectKind === 'team' ? form.subject : null,
    role: form.role,
    scope: form.scope,
    scope_name: form.scope === 'organization' ? null : form.scopeName || null,
  }
}

/** `operator on environment staging for ops` — how a grant reads in a confirmation. */
export function grantLabel(grant: S['RoleGrant']): string {
  const who = grant.user ?? `team ${grant.team}`
  const where = grant.scope === 'organization' ? 'the organization' : `${grant.scope} ${grant.scope_name}`
  return `${grant.role} on ${where} for ${who}`
}
