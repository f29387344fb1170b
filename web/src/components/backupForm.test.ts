import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/problem'
import {
  bytes, checkRepositoryForm, createRepositoryBody, emptyRepositoryForm, emptyRestoreForm, locationLabel, parentPath,
  policyErrors, repositoryFieldErrors, restoreBody, type RepositoryForm,
} from './backupForm'
import { parsePolicy, policyText } from './backupPolicy'

function form(change: (f: RepositoryForm) => void): RepositoryForm {
  const f = emptyRepositoryForm('local')
  f.name = 'offsite'
  change(f)
  return f
}

const problem = (errors: { field: string; message: string }[], detail = 'invalid') =>
  new ApiError(422, { type: 'about:blank', title: 'Unprocessable', status: 422, detail, errors } as never, '422')

describe('the repository form', () => {
  it('sends an S3 location with only the credentials filled in', () => {
    const f = form((f) => Object.assign(f.s3, { endpoint: ' https://s3.example.com ', bucket: 'wf', accessKeyId: 'AK', secretAccessKey: 'SK' }))
    expect(checkRepositoryForm(f)).toEqual({})
    expect(createRepositoryBody(f)).toEqual({
      name: 'offsite', target: 'local',
      location: { kind: 's3', endpoint: 'https://s3.example.com', bucket: 'wf', prefix: undefined, region: undefined },
      access_key_id: 'AK', secret_access_key: 'SK',
    })
    const anonymous = form((f) => Object.assign(f.s3, { endpoint: 'https://s3.example.com', bucket: 'wf' }))
    expect(createRepositoryBody(anonymous)).not.toHaveProperty('secret_access_key')
    expect(checkRepositoryForm(form((f) => Object.assign(f.s3, { endpoint: 'e', bucket: 'b', accessKeyId: 'AK' })))).toEqual({
      secret_access_key: 'give both the access key id and the secret key, or neither',
    })
  })

  it('sends a named volume, or an SFTP server with its key and host key; the password only to attach', () => {
    const volume = form((f) => Object.assign(f, { kind: 'folder', folder: { path: 'wf-backups', volume: true } }))
    expect(createRepositoryBody(volume)).toEqual({ name: 'offsite', target: 'local', location: { kind: 'folder', path: 'wf-backups', volume: true } })
    const sftp = form((f) => {
      f.kind = 'sftp'
      Object.assign(f.sftp, { host: 'h', port: '2222', user: 'u', path: '/b', privateKey: 'KEY', knownHosts: 'h ssh-ed25519 AAA' })
      Object.assign(f, { attach: true, password: 'pw' })
    })
    expect(checkRepositoryForm(sftp)).toEqual({})
    expect(createRepositoryBody(sftp)).toEqual({
      name: 'offsite', target: 'local', location: { kind: 'sftp', host: 'h', port: 2222, user: 'u', path: '/b' },
      ssh_private_key: 'KEY\n', ssh_known_hosts: 'h ssh-ed25519 AAA\n', password: 'pw',
    })
    expect(Object.keys(checkRepositoryForm(form((f) => (f.kind = 'sftp'))))).toEqual(['host', 'user', 'path', 'ssh_private_key', 'ssh_known_hosts'])
  })

  it('shows a 422 at the fields it names', () => {
    expect(repositoryFieldErrors(problem([{ field: 'location.bucket', message: 'lower-case' }, { field: 'name', message: 'letters' }]))).toEqual({
      bucket: 'lower-case', name: 'letters',
    })
    expect(repositoryFieldErrors(problem([{ field: 'location', message: 'Fatal: wrong password' }], 'the repository offsite could not be opened: Fatal: wrong password'))).toEqual({
      location: 'the repository offsite could not be opened: Fatal: wrong password',
    })
    expect(repositoryFieldErrors(problem([{ field: 'elsewhere', message: 'x' }]))).toBeNull()
    expect(repositoryFieldErrors(new Error('network'))).toBeNull()
  })

  it('reads locations and sizes', () => {
    expect(locationLabel({ kind: 's3', endpoint: 'https://s3.example.com/', bucket: 'wf', prefix: 'prod' })).toBe('https://s3.example.com/wf/prod')
    expect(locationLabel({ kind: 'folder', path: 'wf-backups', volume: true })).toBe('volume wf-backups')
    expect(locationLabel({ kind: 'sftp', host: 'h', port: 22, user: 'u', path: '/b' })).toBe('u@h:/b')
    expect([bytes(512), bytes(1536), bytes(3 * 1024 ** 3), bytes(null)]).toEqual(['512 B', '1.5 KiB', '3.0 GiB', '—'])
  })
})

describe('the policy editor', () => {
  it('takes a YAML mapping or a JSON object; anything else says why', () => {
    expect(parsePolicy('{"repository": "offsite"}', 'json')).toEqual({ policy: { repository: 'offsite' } })
    expect(parsePolicy('repository: offsite\nretention: {last: 3}\n', 'yaml')).toEqual({ policy: { repository: 'offsite', retention: { last: 3 } } })
    expect(parsePolicy('[1]', 'json')).toHaveProperty('error')
    expect(parsePolicy('- a\n', 'yaml')).toHaveProperty('error')
    expect((parsePolicy('{repository', 'json') as { error: string }).error).toMatch(/^not JSON/)
    expect((parsePolicy('a: [b', 'yaml') as { error: string }).error).toMatch(/^not YAML/)
  })
  it('shows a policy as YAML or JSON, and reads it back', () => {
    const policy = { repository: 'offsite', schedule: '0 3 * * *', retention: { last: 7 } }
    expect(policyText(policy, 'yaml')).toBe('repository: offsite\nschedule: 0 3 * * *\nretention:\n  last: 7\n')
    for (const f of ['yaml', 'json'] as const) expect(parsePolicy(policyText(policy, f), f)).toEqual({ policy })
  })
  it('names the field of each error', () => {
    expect(policyErrors(problem([{ field: 'x-windflow.backup.schedule', message: 'bad cron' }, { field: 'policy', message: 'unknown field' }]))).toEqual([
      { field: 'schedule', message: 'bad cron' },
      { field: 'policy', message: 'unknown field' },
    ])
  })
})

describe('the restore wizard', () => {
  it('sends the chosen run, items, paths and destination', () => {
    expect(restoreBody(emptyRestoreForm('r1'), true)).toEqual({ dry_run: true, run: 'r1' })
    const f = { ...emptyRestoreForm('r1'), items: ['volume:data'], paths: '/uploads/a.png\n\n docs \n', elsewhere: true, intoStack: 'copy' }
    expect(restoreBody(f, false)).toEqual({ dry_run: false, run: 'r1', items: ['volume:data'], paths: ['uploads/a.png', 'docs'], into_stack: 'copy' })
    expect(restoreBody({ ...f, elsewhere: false }, false)).not.toHaveProperty('into_stack')
  })
  it('goes up a folder', () => {
    expect([parentPath('a/b/c'), parentPath('a'), parentPath('')]).toEqual(['a/b', '', ''])
  })
})
