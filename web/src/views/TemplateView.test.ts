import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory, createRouter } from 'vue-router'
import { useSessionStore } from '@/stores/session'

// CodeMirror is not under test here: the compose file is shown by a stand-in.
vi.mock('@/components/YamlEditor.vue', () => ({
  __esModule: true,
  default: { props: ['modelValue', 'errors'], template: '<pre data-test="yaml-editor" :data-marks="errors.length">{{ modelValue }}</pre>' },
}))
import TemplateView from './TemplateView.vue'

const DETAIL = {
  source: 'builtin', id: 'redis', name: 'Redis', version: '1.0.0', description: 'In-memory key-value store.', categories: ['database', 'cache'],
  tags: ['cache'], logo: 'https://redis.io/logo.svg', documentation: 'https://redis.io/docs/latest/',
  inputs: [
    { name: 'REDIS_PASSWORD', label: 'Password', kind: 'secret', required: true, generate: 'alnum:32' },
    { name: 'REDIS_MAXMEMORY', label: 'maxmemory (bytes)', kind: 'number', required: false, formula: 'floor(memory * 3 / 4)' },
    { name: 'REDIS_MAXMEMORY_POLICY', label: 'Eviction policy', kind: 'enum', required: false, default: 'allkeys-lru', options: ['noeviction', 'allkeys-lru'] },
    { name: 'REDIS_PORT', label: 'Port', kind: 'port', required: false, default: '6379' },
    { name: 'APPENDONLY', label: 'Append-only', kind: 'boolean', required: false, default: 'true' },
    { name: 'DOMAIN', label: 'Domain', kind: 'domain', required: false },
  ],
  sizes: [
    { class: 'small', cpus: 0.5, memory_bytes: 268435456, disk_bytes: 1073741824 },
    { class: 'medium', cpus: 1, memory_bytes: 1073741824, disk_bytes: 10737418240 },
  ],
  compose: 'services:\n  redis:\n    image: redis:7.4\n',
  advice: [{ rule: 'no-healthcheck', severity: 'warning', field: 'services.redis', line: 2, message: 'redis has no healthcheck', fix: 'add one' }],
}
const PREVIEW = {
  template: DETAIL, stack: 'cache', size: DETAIL.sizes[0], dry_run: true, advice: [], warnings: ['the image is large'],
  inputs: [
    { name: 'REDIS_PASSWORD', secret: true, origin: 'generated' },
    { name: 'REDIS_MAXMEMORY', secret: false, value: '201326592', origin: 'formula', why: 'floor(memory * 3 / 4) with memory = 268435456' },
    { name: 'REDIS_MAXMEMORY_POLICY', secret: false, value: 'allkeys-lru', origin: 'default' },
  ],
}

type Sent = { method: string; url: string; body?: Record<string, unknown> }
function server(deploy: (body: Record<string, unknown>) => Response) {
  const sent: Sent[] = []
  vi.stubGlobal('fetch', async (request: Request) => {
    const url = new URL(request.url).pathname
    const body = request.method === 'POST' ? await request.json() : undefined
    sent.push({ method: request.method, url, body })
    const json = (b: unknown) => new Response(JSON.stringify(b), { status: 200, headers: { 'content-type': 'application/json' } })
    if (url.endsWith('/templates/builtin/redis')) return json(DETAIL)
    if (url.endsWith('/targets')) return json([{ name: 'local', kind: 'docker' }])
    if (url.endsWith('/environments')) return json([])
    if (url.endsWith('/deploy')) return deploy(body!)
    return new Response('{}', { status: 404, headers: { 'content-type': 'application/json' } })
  })
  return sent
}
/** Element Plus shows a form item's error 100 ms after it is set. */
const settle = async () => {
  await flushPromises()
  await new Promise((r) => setTimeout(r, 150))
  await flushPromises()
}
const ok = (b: unknown, status = 200) => new Response(JSON.stringify(b), { status, headers: { 'content-type': 'application/json' } })

function login(role = 'admin') {
  useSessionStore().setInfo({
    user: { id: 'u', username: 'ada', display_name: '', is_admin: false, disabled: false, created_at: '2026-01-01T00:00:00Z' },
    organizations: [{ organization: { id: 'o', slug: 'default', name: 'Default', created_at: '2026-01-01T00:00:00Z' }, role }],
    csrf_token: 'csrf',
  } as never)
}

async function mountView() {
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { render: () => null } }] })
  await router.push('/o/default/catalog/builtin/redis')
  const w = mount(TemplateView, {
    props: { source: 'builtin', id: 'redis' },
    attachTo: document.body,
    global: { plugins: [router], stubs: { teleport: { template: '<div><slot /></div>' } } },
  })
  await flushPromises()
  await flushPromises()
  return { w, router }
}

describe('a template’s page', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.unstubAllGlobals()
    document.body.innerHTML = ''
    login()
  })

  it('generates one field per input by its kind, and shows the compose file with the advisor’s marks', async () => {
    server(() => ok(PREVIEW))
    const { w } = await mountView()
    const field = (name: string) => w.find(`[data-test=input-${name}]`)
    expect(field('REDIS_PASSWORD').find('input[type=password]').attributes('placeholder')).toBe('leave empty to generate')
    expect(field('REDIS_MAXMEMORY').find('[data-test=computed]').text()).toContain('computed: floor(memory * 3 / 4)')
    expect(field('REDIS_MAXMEMORY').find('input').exists()).toBe(false)
    expect(field('REDIS_MAXMEMORY_POLICY').find('.el-select').exists()).toBe(true)
    expect(field('REDIS_PORT').find('.el-input-number').exists()).toBe(true)
    expect(field('APPENDONLY').find('.el-switch').exists()).toBe(true)
    expect(field('DOMAIN').find('input').attributes('placeholder')).toBe('app.example.com')
    // Sizes with their figures; the logo of another host is not loaded (the CSP forbids it).
    expect(w.find('[data-test=size-small]').text()).toContain('0.5 CPU · 256 MiB · 1 GiB disk')
    expect(w.find('img').exists()).toBe(false)
    expect(w.find('[data-test=yaml-editor]').attributes('data-marks')).toBe('1')
    expect(w.find('[data-test=advice]').text()).toContain('redis has no healthcheck')
    w.unmount()
  })

  it('previews: sends the values as strings without the generated or computed ones, and shows what resolved', async () => {
    const sent = server(() => ok(PREVIEW))
    const { w } = await mountView()
    await w.find('input[name=stack-name]').setValue('cache')
    await w.find('[data-test=preview]').trigger('submit')
    await flushPromises()
    const post = sent.find((s) => s.method === 'POST')!
    expect(post.url).toBe('/api/v1/orgs/default/templates/builtin/redis/deploy')
    expect(post.body).toMatchObject({
      stack: 'cache', target: 'local', size: { class: 'small' }, deploy: false, dry_run: true,
      values: { REDIS_MAXMEMORY_POLICY: 'allkeys-lru', REDIS_PORT: '6379', APPENDONLY: 'true' },
    })
    expect(Object.keys(post.body!.values as object)).not.toContain('REDIS_PASSWORD')
    expect(Object.keys(post.body!.values as object)).not.toContain('REDIS_MAXMEMORY')
    const preview = w.find('[data-test=template-preview]')
    expect(preview.find('[data-test=resolved-REDIS_PASSWORD]').text()).toBe('•••')
    expect(preview.find('[data-test=origin-REDIS_PASSWORD]').attributes('data-origin')).toBe('generated')
    expect(preview.find('[data-test=origin-REDIS_MAXMEMORY]').attributes('data-origin')).toBe('formula')
    expect(w.find('[data-test=input-REDIS_MAXMEMORY] [data-test=computed-value]').text()).toBe('= 201326592')
    expect(preview.find('[data-test=preview-warnings]').text()).toContain('the image is large')
    w.unmount()
  })

  it('checks in the browser first: a bad stack name or domain sends nothing', async () => {
    const sent = server(() => ok(PREVIEW))
    const { w } = await mountView()
    await w.find('input[name=stack-name]').setValue('Not A Name')
    await w.find('input[name=value-DOMAIN]').setValue('not a domain')
    await w.find('[data-test=preview]').trigger('submit')
    await settle()
    expect(sent.some((s) => s.method === 'POST')).toBe(false)
    expect(w.find('[data-test=input-DOMAIN]').text()).toContain('a DNS name')
    expect(w.text()).toContain('lowercase letters, digits')
    w.unmount()
  })

  it('puts the server’s field errors on their inputs', async () => {
    server(() =>
      ok(
        {
          type: 'https://windflow.dev/problems/invalid', title: 'Invalid request', status: 422, detail: 'the values are not valid',
          errors: [
            { field: 'values.REDIS_MAXMEMORY_POLICY', message: 'not one of the options' },
            { field: 'stack', message: 'a stack named cache exists' },
            { field: 'size', message: 'the target has 128 MiB free' },
          ],
        },
        422,
      ),
    )
    const { w } = await mountView()
    await w.find('[data-test=preview]').trigger('submit')
    await settle()
    expect(w.find('[data-test=input-REDIS_MAXMEMORY_POLICY] .el-form-item__error').text()).toBe('not one of the options')
    expect(w.text()).toContain('a stack named cache exists')
    expect(w.text()).toContain('the target has 128 MiB free')
    expect(w.find('[data-test=template-error]').text()).toContain('the values are not valid')
    w.unmount()
  })

  it('creates and deploys, then opens the deployment', async () => {
    const sent = server((body) => ok({ ...PREVIEW, dry_run: false, stack: body.stack, deployment: 'd-42' }, 201))
    const { w, router } = await mountView()
    await w.find('[data-test=create-deploy]').trigger('click')
    await flushPromises()
    expect(sent.find((s) => s.method === 'POST')!.body).toMatchObject({ stack: 'redis', deploy: true, dry_run: false })
    expect(router.currentRoute.value.path).toBe('/o/default/deployments/d-42')
    w.unmount()
  })

  it('a viewer may preview but not create', async () => {
    setActivePinia(createPinia())
    login('viewer')
    server(() => ok(PREVIEW))
    const { w } = await mountView()
    expect(w.find('[data-test=preview]').exists()).toBe(true)
    expect(w.find('[data-test=create]').exists()).toBe(false)
    expect(w.find('[data-test=create-deploy]').exists()).toBe(false)
    w.unmount()
  })
})
