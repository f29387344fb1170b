// A stack's backup policy as editable text, YAML (as in the compose file's x-windflow.backup)
// or JSON (as the API takes it), and back. Apart from backupForm.ts so the repositories page
// does not load the YAML parser.
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'

/** How the policy editor shows the policy: YAML as in the compose file, or JSON as the API takes it. */
export type PolicyFormat = 'yaml' | 'json'

/** The policy as the editor shows it. */
export function policyText(policy: unknown, format: PolicyFormat): string {
  return format === 'json' ? JSON.stringify(policy ?? {}, null, 2) : stringifyYaml(policy ?? {})
}

/**
 * The editor's text as a policy object, or the reason it is not one (an object with the fields
 * of the compose file's `x-windflow.backup` block).
 */
export function parsePolicy(source: string, format: PolicyFormat): { policy: Record<string, unknown> } | { error: string } {
  let value: unknown
  try {
    value = format === 'json' ? JSON.parse(source) : parseYaml(source)
  } catch (e) {
    return { error: `not ${format === 'json' ? 'JSON' : 'YAML'}: ${e instanceof Error ? e.message : String(e)}` }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { error: format === 'json' ? 'the policy is a JSON object: {"repository": "…", …}' : 'the policy is a mapping: repository: …, schedule: …' }
  }
  return { policy: value as Record<string, unknown> }
}
