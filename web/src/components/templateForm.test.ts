import { describe, expect, it } from 'vitest'
import {
  categoriesOf, checkValue, checkValues, fieldFor, formatBytes, formErrors, initialValues, logoSrc, requestValues, resolvedValue, sizeText,
} from './templateForm'

const input = (over: Record<string, unknown>) => ({ name: 'X', label: 'X', kind: 'string', required: false, ...over }) as never

describe('the deploy form: one control per input kind', () => {
  it('maps each kind to its control', () => {
    const check = (kind: string, extra: Record<string, unknown> = {}) => fieldFor(input({ kind, ...extra })).control
    expect(check('string')).toBe('text')
    expect(check('number')).toBe('number')
    expect(check('port')).toBe('number')
    expect(check('boolean')).toBe('switch')
    expect(check('enum', { options: ['a', 'b'] })).toBe('select')
    expect(check('secret')).toBe('password')
    expect(check('domain')).toBe('text')
    expect(check('size')).toBe('text')
    expect(check('something-new')).toBe('text')
    // A formula wins over the kind: computed, read-only.
    expect(check('number', { formula: 'floor(memory * 3 / 4)' })).toBe('computed')
  })

  it('a port is a whole number in 1–65535 unless the template narrows it', () => {
    expect(fieldFor(input({ kind: 'port' }))).toMatchObject({ integer: true, min: 1, max: 65535 })
    expect(fieldFor(input({ kind: 'port', min: 1024 }))).toMatchObject({ min: 1024, max: 65535 })
    expect(fieldFor(input({ kind: 'number', min: 2, max: 8 }))).toMatchObject({ integer: false, min: 2, max: 8 })
  })

  it('a generated secret may be left empty; a required one without a default may not', () => {
    const generated = fieldFor(input({ kind: 'secret', required: true, generate: 'alnum:32' }))
    expect(generated).toMatchObject({ generated: true, required: false, placeholder: 'leave empty to generate' })
    expect(fieldFor(input({ kind: 'secret', required: true })).required).toBe(true)
    expect(fieldFor(input({ required: true, default: 'x' })).required).toBe(false)
    expect(fieldFor(input({ required: true, formula: 'memory' })).required).toBe(false)
  })

  it('starts from the defaults, as each control holds them', () => {
    const values = initialValues([
      input({ name: 'S', default: 'hello' }),
      input({ name: 'N', kind: 'number', default: '3' }),
      input({ name: 'B', kind: 'boolean', default: 'true' }),
      input({ name: 'F', kind: 'boolean' }),
      input({ name: 'C', kind: 'number', formula: 'memory' }),
      input({ name: 'E', kind: 'secret' }),
    ])
    expect(values).toEqual({ S: 'hello', N: 3, B: true, F: false, C: undefined, E: '' })
  })
})

describe('the deploy form: checks before the server', () => {
  it('numbers and ports: bounds and whole numbers', () => {
    expect(checkValue(input({ kind: 'port' }), 8080)).toBe('')
    expect(checkValue(input({ kind: 'port' }), 70000)).toBe('at most 65535')
    expect(checkValue(input({ kind: 'port' }), 0)).toBe('at least 1')
    expect(checkValue(input({ kind: 'port' }), 80.5)).toBe('a whole number')
    expect(checkValue(input({ kind: 'number', min: 1, max: 4 }), 2.5)).toBe('')
    expect(checkValue(input({ kind: 'number', min: 1, max: 4 }), 5)).toBe('at most 4')
  })

  it('domains are DNS names', () => {
    const domain = input({ kind: 'domain' })
    expect(checkValue(domain, 'app.example.com')).toBe('')
    expect(checkValue(domain, 'xn--bcher-kva.example')).toBe('')
    expect(checkValue(domain, 'not a domain')).toMatch(/DNS name/)
    expect(checkValue(domain, '-bad.example.com')).toMatch(/DNS name/)
    expect(checkValue(domain, 'localhost')).toMatch(/DNS name/)
    expect(checkValue(domain, `${'a'.repeat(64)}.example.com`)).toMatch(/DNS name/)
  })

  it('sizes are bytes or a number with a unit', () => {
    const size = input({ kind: 'size' })
    for (const ok of ['512m', '1g', '2GiB', '1.5g', '1073741824', '64kb']) expect(checkValue(size, ok)).toBe('')
    for (const bad of ['lots', 'm512', '1 gigabyte', '-1g']) expect(checkValue(size, bad)).toMatch(/a size/)
  })

  it('strings match the whole pattern; a pattern the browser cannot read is left to the server', () => {
    const slug = input({ pattern: '[a-z]+' })
    expect(checkValue(slug, 'abc')).toBe('')
    expect(checkValue(slug, 'abc1')).toBe('must match [a-z]+')
    expect(checkValue(input({ pattern: '(?P<x>a)' }), 'anything')).toBe('')
  })

  it('required fields, enums, switches and computed inputs', () => {
    expect(checkValue(input({ label: 'Admin email', required: true }), '')).toBe('Admin email is required')
    expect(checkValue(input({ kind: 'secret', required: true, generate: 'hex:32' }), '')).toBe('')
    expect(checkValue(input({ kind: 'enum', options: ['a', 'b'] }), 'c')).toBe('one of a, b')
    expect(checkValue(input({ kind: 'boolean', required: true }), undefined)).toBe('')
    expect(checkValue(input({ formula: 'memory', required: true }), undefined)).toBe('')
    const inputs = [input({ name: 'A', required: true }), input({ name: 'P', kind: 'port' })]
    expect(checkValues(inputs, { A: '', P: 80 })).toEqual({ A: 'X is required' })
  })

  it('sends strings: empty ones and computed ones left out, switches always', () => {
    const inputs = [
      input({ name: 'S' }), input({ name: 'EMPTY' }), input({ name: 'N', kind: 'number' }),
      input({ name: 'B', kind: 'boolean', default: 'true' }), input({ name: 'C', formula: 'memory / 4' }),
      input({ name: 'PW', kind: 'secret', generate: 'alnum:32' }),
    ]
    expect(requestValues(inputs, { S: 'x', EMPTY: '', N: 0, B: false, C: '123', PW: '' })).toEqual({ S: 'x', N: '0', B: 'false' })
  })
})

describe('the server’s field errors on the form', () => {
  it('puts values.NAME on that input, and the stack, target and size on theirs', () => {
    const out = formErrors([
      { field: 'values.REDIS_PASSWORD', message: 'too short' },
      { field: 'values.REDIS_PASSWORD', message: 'not allowed' },
      { field: 'stack', message: 'already exists' },
      { field: 'size', message: 'larger than the target' },
      { field: 'size.memory', message: 'not a size' },
      { field: 'target', message: 'unknown target' },
      { field: 'services.redis.ports', message: 'bad port', line: 12 },
      { field: '', message: 'something else' },
    ])
    expect(out.values).toEqual({ REDIS_PASSWORD: 'too short; not allowed' })
    expect(out.stack).toBe('already exists')
    expect(out.size).toBe('larger than the target; not a size')
    expect(out.target).toBe('unknown target')
    expect(out.other).toEqual(['services.redis.ports: bad port (line 12)', 'something else'])
    expect(formErrors(undefined)).toEqual({ values: {}, stack: '', target: '', size: '', other: [] })
  })
})

describe('catalog wording', () => {
  it('sizes, secrets, logos and categories', () => {
    expect(formatBytes(536870912)).toBe('512 MiB')
    expect(formatBytes(1610612736)).toBe('1.5 GiB')
    expect(formatBytes(0)).toBe('0 B')
    expect(sizeText({ class: 'small', cpus: 0.5, memory_bytes: 268435456, disk_bytes: 1073741824 })).toBe('0.5 CPU · 256 MiB · 1 GiB disk')
    expect(resolvedValue({ secret: true, value: 'hunter2' })).toBe('•••')
    expect(resolvedValue({ secret: false, value: '402653184' })).toBe('402653184')
    expect(logoSrc('https://redis.io/logo.svg')).toBeNull()
    expect(logoSrc('//evil.example/logo.svg')).toBeNull()
    expect(logoSrc('/logos/redis.svg')).toBe('/logos/redis.svg')
    expect(logoSrc('data:image/png;base64,AA==')).toBe('data:image/png;base64,AA==')
    expect(categoriesOf([{ categories: ['database', 'cache'] }, { categories: ['cache', 'web'] }])).toEqual(['cache', 'database', 'web'])
  })
})
