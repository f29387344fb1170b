import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/problem'
import {
  agentCommand, agentNeedsHttps, changeKind, createTargetBody, emptyForm, enrollmentBody, fieldErrors, offeredFingerprint, sections,
  type TargetKind,
} from './targetForm'

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
const KEY = '-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n'
const SSH_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n-----END OPENSSH PRIVATE KEY-----\n'

describe('which sections the Add dialog shows', () => {
  it.each<[TargetKind, string, string]>([
    ['docker', 'unix:///var/run/docker.sock', 'endpoint'],
    ['docker', 'tcp://10.0.0.5:2376', 'endpoint tls'],
    ['ssh', 'ssh://deploy@web-1', 'endpoint ssh'],
    ['swarm', 'unix:///var/run/docker.sock', 'endpoint'],
    ['swarm', 'tcp://manager:2376', 'endpoint tls'],
    ['swarm', 'ssh://deploy@manager:2222', 'endpoint ssh'],
    ['agent', '', 'agent'],
    ['kubernetes', '', 'kubernetes'],
  ])('%s at %s: %s', (kind, endpoint, expected) => {
    const s = sections(kind, endpoint)
    expect(Object.entries(s).filter(([, on]) => on).map(([k]) => k).join(' ')).toBe(expected)
  })

  it('changing the kind replaces a default endpoint but keeps a typed one', () => {
    const form = emptyForm()
    changeKind(form, 'ssh')
    expect(form.endpoint).toBe('ssh://')
    form.endpoint = 'ssh://deploy@web-1'
    changeKind(form, 'swarm')
    expect(form.endpoint).toBe('ssh://deploy@web-1')
  })
})

describe('the create_target body', () => {
  it('a plain local engine sends no TLS or SSH material', () => {
    const form = { ...emptyForm(), name: ' local-2 ', environment: 'prod' }
    expect(createTargetBody(form)).toEqual({ name: 'local-2', kind: 'docker', endpoint: 'unix:///var/run/docker.sock', environment: 'prod' })
  })

  it('tcp:// with TLS sends CA, certificate and key; labels as strings', () => {
    const form = emptyForm()
    Object.assign(form, { name: 'edge', endpoint: 'tcp://edge:2376', labels: [{ key: 'region', value: 'eu' }, { key: ' ', value: 'x' }] })
    form.tls = { ca: CA, cert: CA, key: KEY }
    expect(createTargetBody(form)).toEqual({
      name: 'edge', kind: 'docker', endpoint: 'tcp://edge:2376', labels: { region: 'eu' }, tls: { ca: CA, cert: CA, key: KEY },
    })
  })

  it('TLS only for the CA: no empty certificate or key sent', () => {
    const form = { ...emptyForm(), name: 'edge', endpoint: 'tcp://edge:2376' }
    form.tls = { ca: CA, cert: '', key: '  ' }
    expect(createTargetBody(form).tls).toEqual({ ca: CA, cert: null, key: null })
  })

  it('key material typed for another endpoint is never sent', () => {
    // TLS typed while at tcp://, then the endpoint changed to the socket: the key stays home.
    const form = { ...emptyForm(), name: 'x', endpoint: 'unix:///var/run/docker.sock' }
    form.tls = { ca: CA, cert: CA, key: KEY }
    form.ssh = { privateKey: SSH_KEY, hostKey: 'SHA256:abc' }
    const body = JSON.stringify(createTargetBody(form))
    expect(body).not.toContain('secret')
    expect(body).not.toContain('tls')
    expect(body).not.toContain('ssh')
  })

  it('ssh:// sends the private key and the host key, trimmed', () => {
    const form = { ...emptyForm('ssh'), name: 'web-1', endpoint: 'ssh://deploy@web-1:2222' }
    form.ssh = { privateKey: SSH_KEY, hostKey: '  SHA256:q1w2e3\n' }
    expect(createTargetBody(form)).toEqual({
      name: 'web-1', kind: 'ssh', endpoint: 'ssh://deploy@web-1:2222', ssh: { private_key: SSH_KEY, host_key: 'SHA256:q1w2e3' },
    })
  })

  it('a swarm manager over ssh:// takes the SSH section, without a host key to trust later', () => {
    const form = { ...emptyForm('swarm'), name: 'swarm', endpoint: 'ssh://deploy@manager' }
    form.ssh.privateKey = SSH_KEY
    expect(createTargetBody(form).ssh).toEqual({ private_key: SSH_KEY, host_key: null })
    expect(createTargetBody(form).tls).toBeUndefined()
  })
})

describe('agents', () => {
  it('an agent target is an enrollment: name, labels, environment, lifetime', () => {
    const form = { ...emptyForm('agent'), name: 'edge-7', environment: 'prod', ttlSeconds: 86400, labels: [{ key: 'site', value: 'lyon' }] }
    expect(enrollmentBody(form)).toEqual({ target: 'edge-7', environment: 'prod', ttl_seconds: 86400, labels: { site: 'lyon' } })
  })

  it('the command to run on the host', () => {
    expect(agentCommand('https://windflow.example:8443/', 'wfe_abc123')).toBe(
      'windflow agent --server https://windflow.example:8443 --token wfe_abc123',
    )
  })

  it('warns when the console is reached over plain http elsewhere than loopback', () => {
    expect(agentNeedsHttps('http://10.1.2.3:8080')).toBe(true)
    expect(agentNeedsHttps('http://127.0.0.1:8080')).toBe(false)
    expect(agentNeedsHttps('https://cp.example')).toBe(false)
  })
})

describe('server errors', () => {
  const problem = (errors: { field: string; message: string }[]) =>
    new ApiError(422, { type: 'about:blank', title: 'Unprocessable', status: 422, errors }, '422')

  it('field errors land on their fields; an enrollment`s target is the name field', () => {
    expect(fieldErrors(problem([{ field: 'tls.ca', message: 'expected PEM text' }, { field: 'target', message: 'exists already' }]))).toEqual({
      'tls.ca': 'expected PEM text',
      name: 'exists already',
    })
  })

  it('an error without a field is for a toast', () => {
    expect(fieldErrors(problem([]))).toBeNull()
    expect(fieldErrors(new Error('network down'))).toBeNull()
  })

  it('finds the fingerprint the host offered', () => {
    const error =
      'target web-1: host key not trusted yet: POST …/targets/web-1/trust with fingerprint SHA256:9sL0+Yh/2Kx1 once you have checked it is the host\'s key'
    expect(offeredFingerprint(error)).toBe('SHA256:9sL0+Yh/2Kx1')
    expect(offeredFingerprint('connection refused')).toBeNull()
    expect(offeredFingerprint(null)).toBeNull()
  })
})

describe('a kubernetes target', () => {
  it('sends its kubeconfig and options, and no endpoint (the server takes it from the kubeconfig)', () => {
    const form = emptyForm('kubernetes')
    form.name = 'prod-cluster'
    form.kubernetes.kubeconfig = 'apiVersion: v1\nkind: Config\nclusters: []\n'
    form.kubernetes.storageClass = ' fast-ssd '
    expect(createTargetBody(form)).toEqual({
      name: 'prod-cluster',
      kind: 'kubernetes',
      endpoint: '',
      kubernetes: { kubeconfig: 'apiVersion: v1\nkind: Config\nclusters: []\n', context: null, storage_class: 'fast-ssd', ingress_class: null },
    })
  })
})
