// Scoped roles end to end, in Debian's headless Chromium (playwright-core):
//   1. the owner opens Admin → Teams & access and grants `operator` on the environment
//      E2E_ENV (staging) to E2E_USER, who is a viewer of the organization;
//   2. E2E_USER opens the stack E2E_STACK: the Deploy button shows (a grant somewhere);
//      previewing onto E2E_PROD_TARGET (production) is refused with the role it needs;
//      onto E2E_STAGE_TARGET the plan shows, and the deployment succeeds.
// Run with WINDFLOW_URL, WINDFLOW_ADMIN_USER/PASSWORD, E2E_USER/E2E_PASSWORD, E2E_ENV,
// E2E_STACK, E2E_STAGE_TARGET, E2E_PROD_TARGET.
import { chromium } from 'playwright-core'

const env = (name) => {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}
const base = env('WINDFLOW_URL')
const org = `${base}/o/default`
const t0 = Date.now()
const step = (name) => console.log(`e2e access [${((Date.now() - t0) / 1000).toFixed(1)} s]: ${name}`)
const exact = (text) => new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`)

// Chromium aborts requests in flight with ERR_NETWORK_CHANGED when the engine adds a network
// interface: a first load may come back empty; a reload recovers, as a user would.
async function openUntil(page, url, selector, attempts = 3) {
  for (let i = 1; ; i++) {
    await page.goto(url)
    try {
      await page.locator(selector).waitFor({ timeout: 15_000 })
      return
    } catch (e) {
      if (i >= attempts) throw e
      console.log(`e2e: ${selector} did not show; reloading (${i}/${attempts})`)
    }
  }
}

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

async function open(user, password) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } })
  const page = await context.newPage()
  page.setDefaultTimeout(30_000)
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`))
  page.on('console', (m) => {
    // The 403 of the refused preview is expected; anything else is not.
    if (m.type() === 'error' && !/status of (401|403|404)|ERR_NETWORK_CHANGED/.test(m.text())) errors.push(`console: ${m.text()}`)
  })
  // Which answers failed, by URL: the refused preview (403) is expected; the login page's
  // session probe (401 before logging in), a stack's template link (404: not made from a
  // template) and the AI provider (404: none configured) are how the console asks; anything
  // else is not.
  page.on('response', (r) => {
    if (r.status() < 400) return
    const path = new URL(r.url()).pathname
    const expected =
      (r.status() === 403 && /\/stacks\/[^/]+\/plan$/.test(path)) ||
      (r.status() === 401 && path === '/api/v1/auth/session') ||
      (r.status() === 404 && /\/stacks\/[^/]+\/template$|\/ai\/provider$/.test(path))
    if (!expected) errors.push(`answer: ${r.status()} ${r.request().method()} ${path}`)
  })
  await page.goto(`${base}/login`)
  await page.fill('input[name=username]', user)
  await page.fill('input[name=password]', password)
  await page.click('[data-test=login]')
  await page.waitForURL(/\/o\/default/)
  return page
}

async function pick(page, select, option) {
  await page.click(select)
  const text = option instanceof RegExp ? option : exact(option)
  await page.locator('.el-select-dropdown__item:visible', { hasText: text }).click()
}
/** A target's option reads `<name> (<status>)`. */
const target = (name) => new RegExp(`^\\s*${name} \\(`)

try {
  const user = env('E2E_USER')
  const environment = env('E2E_ENV')
  const stack = env('E2E_STACK')

  step('the owner grants operator on the environment')
  const owner = await open(env('WINDFLOW_ADMIN_USER'), env('WINDFLOW_ADMIN_PASSWORD'))
  await openUntil(owner, `${org}/admin?tab=access`, '[data-test=add-grant]')
  await pick(owner, '[data-test=grant-subject]', user)
  await pick(owner, '[data-test=grant-role]', 'operator')
  await pick(owner, '[data-test=grant-scope]', 'environment')
  await pick(owner, '[data-test=grant-scope-name]', environment)
  await owner.click('[data-test=grant-submit]')
  await owner.locator(`[data-test="grant-${user}-${environment}"]`).waitFor()

  step('the viewer with the grant sees Deploy on the stack')
  const page = await open(user, env('E2E_PASSWORD'))
  await openUntil(page, `${org}/stacks/${stack}`, '[data-test=deploy]')
  await page.click('[data-test=deploy]')

  step('production is refused, naming the role it needs')
  await pick(page, '[data-test=deploy-target]', target(env('E2E_PROD_TARGET')))
  await page.click('[data-test=preview]')
  const refusal = page.locator('.el-alert--error')
  await refusal.waitFor()
  const text = await refusal.innerText()
  if (!/needs operator/.test(text)) throw new Error(`the refusal reads ${JSON.stringify(text)}`)
  if (await page.locator('[data-test=plan]').count()) throw new Error('a plan showed for production')

  step('staging: the plan, then a successful deployment')
  await pick(page, '[data-test=deploy-target]', target(env('E2E_STAGE_TARGET')))
  await page.click('[data-test=preview]')
  await page.waitForSelector('[data-test=plan]')
  await page.click('[data-test=confirm-deploy]')
  await page.waitForURL(/\/o\/default\/deployments\/[^/]+$/)
  await page.waitForSelector('[data-test=deployment-state] [data-state=succeeded]', { timeout: 120_000 })
  if (errors.length) throw new Error(errors.join('\n'))
  step('done')
} finally {
  await browser.close()
}
