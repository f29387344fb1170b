import { describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import NodeSettings from './NodeSettings.vue'
import type { WorkflowNode } from './document'

const NODE: WorkflowNode = { id: 'staging', type: 'deploy', stack: 'web', version: 'latest', retry: { count: 2 } }

function mountWith(props: Partial<InstanceType<typeof NodeSettings>['$props']> = {}) {
  return mount(NodeSettings, { props: { node: NODE, taken: ['staging', 'pull'], ...props }, attachTo: document.body })
}

describe('node settings', () => {
  it("shows the type's fields with their values, and the common ones", () => {
    const w = mountWith()
    expect((w.find('[data-testid=setting-stack]').element as HTMLInputElement).value).toBe('web')
    expect((w.find('[data-testid=setting-version]').element as HTMLInputElement).value).toBe('latest')
    expect((w.find('[data-testid=setting-retry\\.count]').element as HTMLInputElement).value).toBe('2')
    for (const f of ['target', 'selector', 'environment', 'timeout']) expect(w.find(`[data-testid=setting-${f}]`).exists()).toBe(true)
    w.unmount()
  })

  it('an edit is a `set` of the setting', async () => {
    const w = mountWith()
    await w.find('[data-testid=setting-target]').setValue('staging-1')
    await w.find('[data-testid=setting-retry\\.count]').setValue('3')
    expect(w.emitted('set')).toEqual([['target', 'staging-1'], ['retry.count', 3]])
    w.unmount()
  })

  it("the server's issue shows at its field", async () => {
    const w = mountWith({ issues: new Map([['stack', 'no stack "web"'], ['', 'the node is unreachable']]) })
    await vi.waitFor(() => expect(w.find('[data-testid=field-stack] .el-form-item__error').text()).toContain('no stack "web"'))
    expect(w.text()).toContain('the node is unreachable')
    w.unmount()
  })

  it('renames to a free, valid id only', async () => {
    const w = mountWith()
    const id = w.find('[data-testid=setting-id]')
    await id.setValue('pull')
    await id.trigger('change')
    await vi.waitFor(() => expect(w.find('.el-form-item__error').text()).toContain('"pull" is taken'))
    await id.setValue('prod')
    await id.trigger('change')
    expect(w.emitted('rename')?.[0]).toEqual(['staging', 'prod'])
    w.unmount()
  })

  it('read-only: every field disabled, no Remove', () => {
    const w = mountWith({ readonly: true })
    expect(w.find('[data-testid=setting-stack]').attributes('disabled')).toBeDefined()
    expect(w.find('[data-testid=node-remove]').exists()).toBe(false)
    w.unmount()
  })
})
