// End-to-end test of the web console in Debian's headless Chromium (playwright-core, no
// downloaded browser), against a real `windflow serve` deploying onto the real Docker engine.
// Run by crates/cli/tests/server/console.rs with:
//   WINDFLOW_URL, WINDFLOW_ADMIN_USER/PASSWORD, WINDFLOW_VIEWER_USER/PASSWORD, WINDFLOW_TEST_IMAGE,
//   WINDFLOW_STACK (a fresh stack name), WINDFLOW_SCREENSHOTS=1 to write docs/screenshots/*.png.
import { chromium } from 'playwright-core'
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const env = (name) => {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}
const base = env('WINDFLOW_URL')
const image = env('WINDFLOW_TEST_IMAGE')
const stack = env('WINDFLOW_STACK')
const shots = process.env.WINDFLOW_SCREENSHOTS === '1'
const shotDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots')
if (shots) mkdirSync(shotDir, { recursive: true })

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

function step(name) {
  console.log(`e2e: ${name}`)
}
async function shot(page, name) {
  if (shots) await page.screenshot({ path: `${shotDir}/${name}.png` })
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS, headless: true })
const cspErrors = []
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 860 } })
  const page = await context.newPage()
  page.setDefaultTimeout(20_000)
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text())
  })

  step('log in as admin')
  await page.goto(`${base}/stacks`)
  await page.waitForURL(/\/login\?next=/)
  await shot(page, 'login')
  await page.fill('input[name=username]', env('WINDFLOW_ADMIN_USER'))
  await page.fill('input[name=password]', env('WINDFLOW_ADMIN_PASSWORD'))
  await page.click('[data-test=login]')
  await page.waitForURL(`${base}/stacks`)

  step('dashboard')
  await page.click('[data-test=nav-dashboard]')
  await page.waitForSelector('[data-test=dashboard-stats]')

  step('create a stack with an error on line 7')
  await page.goto(`${base}/stacks/new`)
  await page.fill('input[name=stack-name]', stack)
  const bad = [
    'services:',
    '  web:',
    `    image: ${image}`,
    '    command: ["sh", "-c", "echo hello-from-the-console; exec httpd -f -p 8080"]',
    '    init: true',
    '    ports:',
    '      - "99999:8080"',
  ].join('\n')
  const editor = page.locator('.cm-content')
  await editor.click()
  await page.keyboard.press('Control+A')
  await page.keyboard.press('Delete')
  await editor.fill(bad)
  await page.click('[data-test=save]')
  const errorLine = page.locator('[data-test=stack-errors] li[data-line="7"]')
  await errorLine.waitFor()
  // The editor marks the same line.
  const marked = await page.locator('.cm-lint-marker-error').count()
  if (marked < 1) throw new Error('no lint marker in the editor gutter')
  await shot(page, 'stack-editor-error')

  step('fix it and create the stack')
  const good = bad.replace('"99999:8080"', '"8080"')
  await editor.fill(good)
  await page.click('[data-test=save]')
  await page.waitForURL(`${base}/stacks/${stack}`)

  step('deploy: plan, confirm, watch it succeed')
  await page.click('[data-test=deploy]')
  await page.click('[data-test=deploy-target]')
  await page.click('.el-select-dropdown__item >> text=local')
  await page.click('[data-test=preview]')
  await page.waitForSelector('[data-test=plan]')
  await shot(page, 'deploy-plan')
  await page.click('[data-test=confirm-deploy]')
  await page.waitForURL(/\/deployments\/[^/]+$/)
  await page.waitForSelector('[data-test=deployment-state] [data-state=succeeded]', { timeout: 90_000 })

  step('open the logs and see the line the container printed')
  await page.click('[data-test=open-logs]')
  // (A locator, not waitForFunction: the console's CSP forbids the eval the latter uses.)
  await page
    .locator('[data-test=log-text]', { hasText: 'hello-from-the-console' })
    .waitFor({ state: 'attached', timeout: 30_000 })
  await shot(page, 'deployment')

  step('roll back')
  await page.click('[data-test=rollback]')
  await page.waitForURL(/\/deployments\/[^/]+$/)
  await page.waitForSelector('[data-test=deployment-state] [data-state]', { timeout: 30_000 })
  const state = await page.locator('[data-test=deployment-state] [data-state]').getAttribute('data-state')
  step(`rollback deployment state: ${state}`)

  if (shots) {
    await page.goto(`${base}/`)
    await page.waitForSelector('[data-test=dashboard-stats]')
    await shot(page, 'dashboard')
    await page.goto(`${base}/targets/local`)
    await page.waitForSelector('text=Containers')
    await page.waitForTimeout(2500)
    await shot(page, 'target-inventory')
    await page.goto(`${base}/stacks/${stack}?tab=history`)
    await page.waitForTimeout(1000)
    await shot(page, 'stack-history')
  }

  step('deep link survives reload')
  await page.goto(`${base}/stacks/${stack}`)
  await page.reload()
  await page.waitForSelector('[data-test=deploy]')

  step('log out')
  await page.click('[data-test=user-menu]')
  await page.click('[data-test=logout]')
  await page.waitForURL(/\/login/)

  step('a viewer sees no deploy button, and the API refuses (403)')
  await page.fill('input[name=username]', env('WINDFLOW_VIEWER_USER'))
  await page.fill('input[name=password]', env('WINDFLOW_VIEWER_PASSWORD'))
  await page.click('[data-test=login]')
  await page.waitForURL(`${base}/`)
  await page.goto(`${base}/stacks/${stack}`)
  await page.waitForSelector('[data-test=yaml-editor]')
  if ((await page.locator('[data-test=deploy]').count()) !== 0) throw new Error('the viewer sees a deploy button')
  const status = await page.evaluate(async ({ stack }) => {
    const s = await (await fetch('/api/v1/auth/session')).json()
    const r = await fetch('/api/v1/orgs/default/deployments', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf_token },
      body: JSON.stringify({ stack, target: 'local' }),
    })
    return r.status
  }, { stack })
  if (status !== 403) throw new Error(`the API answered ${status} to the viewer's deploy, not 403`)

  if (cspErrors.length) throw new Error(`Content-Security-Policy violations:\n${cspErrors.join('\n')}`)
  step('all passed')
} finally {
  await browser.close()
}
