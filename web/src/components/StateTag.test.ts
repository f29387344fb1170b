import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import StateTag from './StateTag.vue'
import { ElTag } from 'element-plus'

describe('StateTag', () => {
  it.each([
    ['succeeded', 'success'],
    ['failed', 'danger'],
    ['running', 'success'],
    ['queued', 'info'],
    ['rolling', 'warning'],
    ['ready', 'success'],
    ['completed', 'success'],
  ])('%s is shown as %s', (state, type) => {
    const wrapper = mount(StateTag, { props: { state }, global: { components: { ElTag } } })
    expect(wrapper.text()).toBe(state)
    expect(wrapper.find(`.el-tag--${type}`).exists()).toBe(true)
    expect(wrapper.find(`[data-state="${state}"]`).exists()).toBe(true)
  })
})
