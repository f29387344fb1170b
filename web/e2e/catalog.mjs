// The template catalog end to end, in Debian's headless Chromium (playwright-core): an admin
// searches the catalog for Redis, opens it, fills its deploy form (stack name, target, size),
// previews it — the generated password stays hidden with origin `generated`, the computed
// maxmemory shows its value — then creates and deploys it and waits for the deployment to
// succeed; the new stack's editor shows the advisor's findings as lint marks and as a list.
// Run with WINDFLOW_URL, WINDFLOW_ADMIN_USER/PASSWORD, E2E_STACK (a fresh stack name) and
// E2E_TARGET (a target of the `default` organization that can run redis:7.4); E2E_SOURCE names
// the catalog source Redis is taken from (default `builtin`).
import { chromium } from 'playwright-core'
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const AXE = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../node_modules/axe-core/axe.min.js'), 'utf8')

const env = (name) => {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}
const base = env('WINDFLOW_URL')
const stack = env('E2E_STACK')
const target = env('E2E_TARGET')
const source = process.env.E2E_SOURCE || 'builtin'
const org = `${base}/o/default`
const t0 = Date.now()
const step = (name) => console.log(`e2e [${((Date.now() - t0) / 1000).toFixed(1)} s]: ${name}`)

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']
let browser
for (let attempt = 1; ; attempt++) {
  try {
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ARGS, headless: true, timeout: 60_000 })
    break
  } catch (e) {
    if (attempt === 3) throw e
    await new Promise((r) => setTimeout(r, 2_000))
  }
}
const errors = []
try {
  const page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage()
  page.setDefaultTimeout(30_000)
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`)
  })

  step('log in')
  await page.goto(`${base}/login`)
  await page.fill('input[name=username]', env('WINDFLOW_ADMIN_USER'))
  await page.fill('input[name=password]', env('WINDFLOW_ADMIN_PASSWORD'))
  await page.click('[data-test=login]')
  await page.waitForURL(/\/o\/default/)

  step('the catalog, from the menu; search for redis')
  await page.click('[data-test=nav-catalog]')
  await page.waitForURL(`${org}/catalog`)
  await page.locator('[data-test=catalog] [data-test^=template-]').first().waitFor()
  const all = await page.locator('[data-test=catalog] [data-test^=template-]').count()
  await page.fill('input[name=catalog-search]', 'redis')
  await page.waitForURL(/\/catalog\?q=redis$/)
  const card = page.locator(`[data-test=template-redis][data-source=${source}]`)
  await card.waitFor()
  // The search answered when the list narrowed (templates matching in their tags, such as
  // Nextcloud with its Redis, may follow), the best match first.
  await page.waitForFunction((total) => {
    const cards = [...document.querySelectorAll('[data-test=catalog] [data-test^=template-]')]
    return cards.length > 0 && cards.length < total && cards[0].getAttribute('data-test') === 'template-redis'
  }, all, { timeout: 20_000 }).catch(async () => {
    const shown = await page.locator('[data-test=catalog] [data-test^=template-]').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-test')))
    throw new Error(`searching "redis" shows ${JSON.stringify(shown)}`)
  })
  const first = await page.locator('[data-test=catalog] [data-test^=template-]').first().getAttribute('data-test')
  if (first !== 'template-redis') throw new Error(`the best match is not first: ${first}`)

  step('open Redis: its inputs as form fields')
  await card.click()
  await page.waitForURL(`${org}/catalog/${source}/redis`)
  await page.locator('[data-test=template-form]').waitFor()
  const password = page.locator('[data-test=input-REDIS_PASSWORD] input[type=password]')
  if ((await password.getAttribute('placeholder')) !== 'leave empty to generate') throw new Error('the generated password does not say it may be left empty')
  const computed = page.locator('[data-test=input-REDIS_MAXMEMORY] [data-test=computed]')
  if (!/computed: .*memory/.test(await computed.innerText())) throw new Error(`maxmemory is not shown as computed: ${await computed.innerText()}`)
  await page.locator('[data-test=yaml-editor] .cm-content').waitFor()

  step('fill the form: stack name, target, size')
  await page.fill('input[name=stack-name]', stack)
  await page.click('[data-test=template-target]')
  await page.locator('.el-select-dropdown__item:visible', { hasText: new RegExp(`^\\s*${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) }).click()
  await page.click('[data-test=size-small]')

  step('preview: the password is generated and hidden, maxmemory computed')
  await page.click('[data-test=preview]')
  const preview = page.locator('[data-test=template-preview]')
  await preview.waitFor()
  const origin = await preview.locator('[data-test=origin-REDIS_PASSWORD]').getAttribute('data-origin')
  if (origin !== 'generated') throw new Error(`the password's origin is ${origin}`)
  const secret = (await preview.locator('[data-test=resolved-REDIS_PASSWORD]').innerText()).trim()
  if (secret !== '•••') throw new Error(`the generated password is shown: ${JSON.stringify(secret)}`)
  const formulaOrigin = await preview.locator('[data-test=origin-REDIS_MAXMEMORY]').getAttribute('data-origin')
  if (formulaOrigin !== 'formula') throw new Error(`maxmemory's origin is ${formulaOrigin}`)
  const maxmemory = (await preview.locator('[data-test=resolved-REDIS_MAXMEMORY]').innerText()).trim()
  if (!/^\d+$/.test(maxmemory) || Number(maxmemory) <= 0) throw new Error(`maxmemory resolves to ${JSON.stringify(maxmemory)}`)
  const inForm = (await page.locator('[data-test=input-REDIS_MAXMEMORY] [data-test=computed-value]').innerText()).trim()
  if (inForm !== `= ${maxmemory}`) throw new Error(`the form shows maxmemory ${JSON.stringify(inForm)}, the preview ${maxmemory}`)
  await preview.locator('[data-test=preview-size]').waitFor()
  // A preview creates nothing.
  const before = await page.evaluate(async (name) => (await fetch(`/api/v1/orgs/default/stacks/${name}`)).status, stack)
  if (before !== 404) throw new Error(`after a preview, GET the stack answers ${before}`)

  step('create and deploy; the deployment succeeds')
  await page.click('[data-test=create-deploy]')
  await page.waitForURL(/\/o\/default\/deployments\/[^/]+$/)
  await page.waitForSelector('[data-test=deployment-state] [data-state=succeeded]', { timeout: 240_000 })

  step("the stack editor: the advisor's findings as lint marks and as a list")
  await page.goto(`${org}/stacks/${stack}`)
  await page.locator('.cm-content').waitFor()
  await page.locator('[data-test=stack-advice] [data-test=advice-item]').first().waitFor()
  await page.locator('.cm-lint-marker-info, .cm-lint-marker-warning, .cm-lint-marker-error').first().waitFor()
  const line = await page.locator('[data-test=stack-advice] [data-test=advice-item][data-line]').first().getAttribute('data-line')
  if (!line || Number(line) < 1) throw new Error('no finding has a line')
  await page.locator('[data-test=stack-template]', { hasText: 'from template redis' }).waitFor()

  step('accessibility: WCAG 2.2 AA on the catalog and the template page with its preview, light and dark (axe-core)')
  const state = await page.context().storageState()
  const problems = []
  for (const theme of ['light', 'dark']) {
    // The audit script is injected: a context that bypasses the console's CSP.
    const a11y = await browser.newContext({ viewport: { width: 1366, height: 900 }, bypassCSP: true, storageState: state })
    await a11y.addInitScript((t) => localStorage.setItem('windflow.theme', t), theme)
    const p = await a11y.newPage()
    p.setDefaultTimeout(30_000)
    const pages = [
      [`${org}/catalog`, '[data-test=template-redis]', null],
      [`${org}/catalog/${source}/redis`, '[data-test=template-form]', async () => {
        await p.fill('input[name=stack-name]', `${stack}-a11y`)
        await p.click('[data-test=preview]')
        await p.waitForSelector('[data-test=template-preview]')
      }],
      [`${org}/stacks/${stack}`, '[data-test=stack-advice]', null],
    ]
    for (const [url, ready, before] of pages) {
      await p.goto(url)
      await p.waitForSelector(ready)
      if (before) await before()
      await p.waitForTimeout(400) // transitions settle
      await p.addScriptTag({ content: AXE })
      const found = await p.evaluate(async () => {
        const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })
        return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)
      })
      problems.push(...found.map((f) => `[${theme}] ${url}: ${f}`))
    }
    await a11y.close()
  }
  if (problems.length) throw new Error(`accessibility violations:\n${problems.join('\n')}`)
  step('done')
} catch (e) {
  console.error(`${e.stack ?? e}\n${errors.join('\n')}`)
  process.exitCode = 1
} finally {
  await browser.close()
}
