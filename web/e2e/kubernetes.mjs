// The console on a kubernetes target, in Debian's headless Chromium (playwright-core): an
// admin adds the cluster through the "Add target" dialog (its kubeconfig pasted; the API
// server's URL comes from it), the target answers (Kubernetes version, capacity), its page
// lists the stack the test deployed there with its workload and pods, and a pod's log opens;
// the kubeconfig is never shown again. Run by crates/cli/tests/server/kubernetes.rs with
// WINDFLOW_URL, the admin's credentials, WINDFLOW_KUBECONFIG (a file) and WINDFLOW_STACK.
import { chromium } from 'playwright-core'
import { readFileSync } from 'node:fs'

const env = (name) => {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}
const base = env('WINDFLOW_URL')
const stack = env('WINDFLOW_STACK')
const kubeconfig = readFileSync(env('WINDFLOW_KUBECONFIG'), 'utf8')
const org = `${base}/o/default`
const t0 = Date.now()
const step = (name) => console.log(`e2e [${((Date.now() - t0) / 1000).toFixed(1)} s]: ${name}`)

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']
let browser
for (let attempt = 1; ; attempt++) {
  try {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS, headless: true, timeout: 60_000 })
    break
  } catch (e) {
    if (attempt === 3) throw e
    await new Promise((r) => setTimeout(r, 2_000))
  }
}
const errors = []
try {
  const page = await (await browser.newContext({ viewport: { width: 1366, height: 860 } })).newPage()
  page.setDefaultTimeout(20_000)
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`))

  step('log in')
  await page.goto(`${base}/login`)
  await page.fill('input[name=username]', env('WINDFLOW_ADMIN_USER'))
  await page.fill('input[name=password]', env('WINDFLOW_ADMIN_PASSWORD'))
  await page.click('[data-test=login]')
  await page.waitForURL(/\/o\/default/)

  step('add the cluster as a target')
  await page.goto(`${org}/targets`)
  await page.click('[data-test=add-target]')
  await page.click('[data-test=kind-kubernetes]')
  await page.waitForSelector('[data-test=kubernetes-section]')
  if (await page.locator('input[name=target-endpoint]').count()) throw new Error('a kubernetes target asks for no endpoint')
  await page.fill('input[name=target-name]', 'cluster-ui')
  await page.fill('textarea[name=kubeconfig]', kubeconfig)
  await page.click('[data-test=add-target-submit]')
  await page.locator('[data-test=add-target-dialog]').waitFor({ state: 'hidden', timeout: 30_000 })

  step("the target's page: the cluster answers, WindFlow's stack is listed")
  await page.goto(`${org}/targets/cluster-ui`)
  const status = page.locator('[data-test=target-status]')
  await status.getByText(/up/i).waitFor()
  const info = await page.locator('[data-test=cluster-info]').innerText()
  if (!/Kubernetes v1\.\d+/.test(info)) throw new Error(`the cluster's version is not shown: ${info}`)
  const table = page.locator('[data-test=kubernetes-workloads]')
  await table.getByText(stack, { exact: true }).first().waitFor()
  await table.getByText('deployment/web').first().waitFor()
  const client = await page.locator('[data-test=client-key]').innerText()
  if (!/stored \(encrypted, never shown\)/.test(client)) throw new Error(`the kubeconfig's state: ${client}`)
  if ((await page.content()).includes('client-key-data')) throw new Error('the kubeconfig is shown')

  step("a pod's log")
  await table.locator('[data-test^=pod-log-]').first().click()
  const log = page.locator('[data-test=pod-log]')
  await log.getByText('hello from the cluster').waitFor()
  step('done')
} catch (e) {
  console.error(`${e.stack ?? e}\n${errors.join('\n')}`)
  process.exitCode = 1
} finally {
  await browser.close()
}
