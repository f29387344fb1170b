// End-to-end test of the web console in Debian's headless Chromium (playwright-core, no
// downloaded browser), against a real `windflow serve` deploying onto the real Docker engine.
// Run by crates/cli/tests/server/console.rs with:
//   WINDFLOW_URL, WINDFLOW_ADMIN_USER/PASSWORD, WINDFLOW_VIEWER_USER/PASSWORD, WINDFLOW_TEST_IMAGE,
//   WINDFLOW_STACK (a fresh stack name), WINDFLOW_SCREENSHOTS=1 to write docs/screenshots/*.png.
import { chromium } from 'playwright-core'
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const env = (name) => {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}
const base = env('WINDFLOW_URL')
const image = env('WINDFLOW_TEST_IMAGE')
const stack = env('WINDFLOW_STACK')
const shots = process.env.WINDFLOW_SCREENSHOTS === '1' && process.env.WINDFLOW_TLS !== '1'
// Over the HTTPS listener the test CA is not in Chromium's store: the certificate itself is
// checked by crates/cli/tests/server/hardening.rs with a client that trusts only that CA.
const tls = process.env.WINDFLOW_TLS === '1'
const secure = tls ? { ignoreHTTPSErrors: true } : {}
const shotDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots')
if (shots) mkdirSync(shotDir, { recursive: true })

const AXE = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../node_modules/axe-core/axe.min.js'), 'utf8')

/**
 * WCAG 2.2 AA on `url` with axe-core, in a context that lets the audit script in (the
 * console's CSP forbids inline scripts): the serious and critical violations, as lines.
 */
async function audit(page, url, ready) {
  await page.goto(url)
  await page.waitForSelector(ready)
  await page.waitForTimeout(300) // transitions settle
  await page.addScriptTag({ content: AXE })
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    })
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ') + (n.failureSummary ? ` [${n.failureSummary.split('\n').slice(1).join(' ').trim()}]` : '')).join(' | ')}`)
  })
  return found.map((f) => `${url}: ${f}`)
}

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

const t0 = Date.now()
function step(name) {
  console.log(`e2e [${((Date.now() - t0) / 1000).toFixed(1)} s]: ${name}`)
}
async function shot(page, name) {
  if (!shots) return
  // Toasts would cover the content: wait until they are gone (success 3 s, errors 6 s).
  for (let t = 0; t < 80 && (await page.locator('.el-message').count()) > 0; t++) await page.waitForTimeout(100)
  await page.waitForTimeout(400) // tags and tables fade in
  await page.screenshot({ path: `${shotDir}/${name}.png` })
}
const org = `${base}/o/default`

/** What the deployed `web` service answers on its published port (found through the API). */
async function served(page) {
  let last = ''
  for (let t = 0; t < 50; t++) {
    const port = await page.evaluate(async ({ stack }) => {
      const inv = await (await fetch('/api/v1/orgs/default/targets/local/inventory')).json()
      const c = inv.containers.find((c) => c.stack === stack && c.service === 'web' && c.state === 'running')
      return c?.ports.find((p) => p.container_port === 8080 && p.host_port)?.host_port ?? null
    }, { stack })
    if (port) {
      try {
        return (await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim()
      } catch (e) {
        last = String(e)
      }
    }
    await page.waitForTimeout(200)
  }
  throw new Error(`the web service of ${stack} does not answer: ${last || 'no published port'}`)
}

/**
 * Debian's sshd on a free loopback port with fresh keys (as crates/testkit's Sshd starts it),
 * fronting the local engine's socket for an `ssh` target.
 */
async function startSshd() {
  const dir = mkdtempSync(join(tmpdir(), 'windflow-e2e-sshd-'))
  mkdirSync('/run/sshd', { recursive: true })
  for (const key of ['host', 'client']) {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'windflow-e2e', '-f', join(dir, key)])
  }
  copyFileSync(join(dir, 'client.pub'), join(dir, 'authorized_keys'))
  const user = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim()
  const port = await new Promise((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => done(port))
    })
  })
  writeFileSync(join(dir, 'sshd_config'), [
    'ListenAddress 127.0.0.1', `Port ${port}`, `HostKey ${join(dir, 'host')}`, `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, `AllowUsers ${user}`, 'PermitRootLogin prohibit-password',
    'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PubkeyAuthentication yes', 'AllowStreamLocalForwarding yes',
    'AllowTcpForwarding local', 'X11Forwarding no', 'PermitTTY no', 'StrictModes no', 'UsePAM no', 'LogLevel ERROR', '',
  ].join('\n'))
  // Its log goes to a file: an inherited pipe would stay open in sshd's per-connection
  // processes and keep the test harness waiting for this script's output to end.
  const log = openSync(join(dir, 'sshd.log'), 'w')
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', log] })
  closeSync(log)
  const fingerprint = execFileSync('ssh-keygen', ['-lf', join(dir, 'host.pub')], { encoding: 'utf8' }).split(' ')[1]
  for (let t = 0; ; t++) {
    const up = await new Promise((done) => {
      const socket = connect(port, '127.0.0.1', () => (socket.destroy(), done(true))).on('error', () => done(false))
    })
    if (up) break
    if (t > 100) throw new Error(`sshd does not listen on 127.0.0.1:${port}: ${readFileSync(join(dir, 'sshd.log'), 'utf8')}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    endpoint: `ssh://${user}@127.0.0.1:${port}`,
    clientKey: join(dir, 'client'),
    fingerprint,
    stop() {
      child.kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

// Over HTTPS Chromium speaks HTTP/2, and on Linux it closes every HTTP/2 session with
// ERR_NETWORK_CHANGED when the host's addresses change — which each deployment's new Docker
// network does, on this machine where browser and engine share the host. HTTP/1.1 over the
// same TLS listener keeps its connections (HTTP/2 itself is checked by hardening.rs).
// A launch on a loaded machine has, rarely, lost the browser before its first target; that
// says nothing about the console, so the launch itself is tried three times.
const launch = async () => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await chromium.launch({ executablePath: '/usr/bin/chromium', args: tls ? [...ARGS, '--disable-http2'] : ARGS, headless: true, timeout: 60_000 })
    } catch (e) {
      if (attempt === 3) throw e
      console.error(`chromium did not start (attempt ${attempt}): ${String(e.message).split('\n')[0]}`)
      await new Promise((r) => setTimeout(r, 2_000))
    }
  }
}
const browser = await launch()
const cspErrors = []
const diagnostics = { errors: [], pending: new Map() }
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 860 }, ...secure })
  const page = await context.newPage()
  page.setDefaultTimeout(45_000)
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text())
    if (m.type() === 'error') diagnostics.errors.push(`console: ${m.text()}`)
  })
  page.on('pageerror', (e) => diagnostics.errors.push(`page error: ${e.message}`))
  // Requests still unanswered when a step times out say where the page was waiting.
  page.on('request', (r) => diagnostics.pending.set(r, `${r.method()} ${r.url()} (sent at ${((Date.now() - t0) / 1000).toFixed(1)} s)`))
  page.on('requestfinished', (r) => diagnostics.pending.delete(r))
  page.on('requestfailed', (r) => {
    diagnostics.pending.delete(r)
    diagnostics.errors.push(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`)
  })

  step('log in as admin')
  // A link from before the organization was in the URL: login, then into the current org.
  await page.goto(`${base}/stacks`)
  await page.waitForURL(/\/login\?next=/)
  await shot(page, 'login')
  await page.fill('input[name=username]', env('WINDFLOW_ADMIN_USER'))
  await page.fill('input[name=password]', env('WINDFLOW_ADMIN_PASSWORD'))
  await page.click('[data-test=login]')
  await page.waitForURL(`${org}/stacks`)
  if (tls) {
    const cookies = await context.cookies()
    const session = cookies.find((c) => /session/i.test(c.name))
    if (!session?.secure || !session.httpOnly) throw new Error(`over HTTPS the session cookie is ${JSON.stringify(session)}`)
  }

  step('dashboard')
  await page.click('[data-test=nav-dashboard]')
  await page.waitForSelector('[data-test=dashboard-stats]')

  step('keyboard: Tab reaches the skip link, then the navigation; each page has its own title')
  await page.reload()
  await page.waitForSelector('[data-test=dashboard-stats]')
  const focused = []
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press('Tab')
    focused.push(await page.evaluate(() => document.activeElement?.getAttribute('data-test') || document.activeElement?.textContent?.trim() || ''))
  }
  if (focused[0] !== 'Skip to content' || focused[1] !== 'nav-dashboard' || focused[2] !== 'nav-stacks') {
    throw new Error(`Tab goes to ${JSON.stringify(focused)}`)
  }
  if (!/^Dashboard · default — WindFlow$/.test(await page.title())) throw new Error(`the dashboard's title is ${JSON.stringify(await page.title())}`)

  step('create a stack with an error on line 7')
  await page.goto(`${org}/stacks/new`)
  await page.fill('input[name=stack-name]', stack)
  const bad = [
    'services:',
    '  web:',
    `    image: ${image}`,
    '    command: ["sh", "-c", "echo hello-from-the-console; mkdir -p /tmp/www; echo version-one > /tmp/www/index.html; exec httpd -f -p 8080 -h /tmp/www"]',
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

  step('fix it, validate it before it has a name, and create the stack')
  const good = bad.replace('"99999:8080"', '"8080"')
  await editor.fill(good)
  await page.fill('input[name=stack-name]', '')
  await page.click('[data-test=validate]')
  await page.locator('.el-message', { hasText: 'Valid: web' }).waitFor()
  await page.fill('input[name=stack-name]', stack)
  await page.click('[data-test=save]')
  await page.waitForURL(`${org}/stacks/${stack}`)
  await page.locator('[data-test=breadcrumbs]', { hasText: `Stacks` }).waitFor()
  if ((await page.title()) !== `${stack} · Stacks · default — WindFlow`) throw new Error(`the stack page's title is ${JSON.stringify(await page.title())}`)

  /** Deploys the stack's current version from its page and waits for `succeeded`. */
  async function deploy(screenshot) {
    await page.click('[data-test=deploy]')
    await page.click('[data-test=deploy-target]')
    await page.click('.el-select-dropdown__item >> text=local')
    await page.click('[data-test=preview]')
    await page.waitForSelector('[data-test=plan]')
    // One kind tag per change, then the change without its symbol (not `+ + network …`).
    const first = (await page.locator('[data-test=plan] li').first().innerText()).trim()
    if (!/^(add|pull|build|start|change|restart|remove)\s+[a-z]/.test(first)) throw new Error(`a plan line reads ${JSON.stringify(first)}`)
    if (screenshot) await shot(page, 'deploy-plan')
    await page.click('[data-test=confirm-deploy]')
    await page.waitForURL(/\/o\/default\/deployments\/[^/]+$/)
    await page.waitForSelector('[data-test=deployment-state] [data-state=succeeded]', { timeout: 90_000 })
  }

  step('deploy: plan, confirm, watch it succeed')
  await deploy(true)
  const v1 = await served(page)
  if (v1 !== 'version-one') throw new Error(`version 1 serves ${JSON.stringify(v1)}`)

  step('the logs follow by default: the line the container printed, with its timestamp on demand')
  // (A locator, not waitForFunction: the console's CSP forbids the eval the latter uses.)
  await page
    .locator('[data-test=log-text]', { hasText: 'hello-from-the-console' })
    .waitFor({ state: 'attached', timeout: 30_000 })
  await page.click('[data-test=log-timestamps]')
  await page
    .locator('[data-test=log-text]', { hasText: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[.0-9]*Z web \| hello-from-the-console/ })
    .waitFor({ state: 'attached' })
  await page.locator('[data-test=deployment-meta]', { hasText: 'requested by' }).waitFor()
  await shot(page, 'deployment')

  step('edit the stack (version 2) and deploy it')
  await page.goto(`${org}/stacks/${stack}`)
  await page.locator('.cm-content').waitFor()
  await page.locator('.cm-content').fill(good.replace('version-one', 'version-two'))
  await page.click('[data-test=save]')
  await page.locator('.el-message', { hasText: 'Saved as a new version' }).waitFor()
  await deploy(false)
  const v2 = await served(page)
  if (v2 !== 'version-two') throw new Error(`version 2 serves ${JSON.stringify(v2)}`)
  const deployedUrl = page.url()

  step('roll back: confirmed first, it succeeds and version 1 serves again')
  await page.click('[data-test=rollback]')
  await page.locator('.el-message-box', { hasText: `Roll ${stack} on local back` }).waitFor()
  await page.click('.el-message-box__btns button:has-text("Roll back")')
  await page.waitForURL((url) => /\/o\/default\/deployments\/[^/]+$/.test(url.pathname) && url.href !== deployedUrl)
  await page.waitForSelector('[data-test=deployment-state] [data-state=succeeded]', { timeout: 90_000 })
  const heading = await page.locator('h1').first().textContent()
  if (!/^Rollback of .* v1 → local/.test(heading.trim())) throw new Error(`the rollback page says ${JSON.stringify(heading)}`)
  const back = await served(page)
  if (back !== 'version-one') throw new Error(`after the rollback the service answers ${JSON.stringify(back)}, not version-one`)

  step('history: the running version is marked; any version can be deployed from it')
  await page.goto(`${org}/stacks/${stack}?tab=history`)
  await page.locator('[data-test=runs-v1]', { hasText: 'local' }).waitFor()
  if ((await page.locator('[data-test=runs-v2]').count()) !== 0) throw new Error('version 2 is marked as running after the rollback')
  await page.click('[data-test=deploy-v2]')
  await page.waitForURL(/\/deploy\?version=2$/)
  await page.click('[data-test=preview]')
  await page.locator('[data-test=plan]', { hasText: 'Plan for version 2 on local' }).waitFor()

  if (shots) {
    await page.goto(`${org}`)
    await page.waitForSelector('[data-test=dashboard-stats]')
    await shot(page, 'dashboard')
    await page.goto(`${org}/targets/local`)
    await page.waitForSelector('text=Containers')
    await page.waitForTimeout(2500)
    await shot(page, 'target-inventory')
    await page.goto(`${org}/stacks/${stack}?tab=history`)
    await page.waitForTimeout(1000)
    await shot(page, 'stack-history')
  }

  step('target page: edit labels, see the health history')
  await page.goto(`${org}/targets/local`)
  await page.click('[data-test=edit-labels]')
  await page.fill('[aria-label="Label 1 key"]', 'region')
  await page.fill('[aria-label="Label 1 value"]', 'e2e-west')
  await page.click('[data-test=save-labels]')
  await page.locator('[data-test=target-labels] .el-tag', { hasText: 'region=e2e-west' }).waitFor()
  const labels = await page.evaluate(async () => (await (await fetch('/api/v1/orgs/default/targets/local')).json()).labels)
  if (labels.region !== 'e2e-west') throw new Error(`the target's labels are ${JSON.stringify(labels)}`)
  await page.click('.el-tabs__item >> text=Health')
  await page.waitForSelector('[data-test=target-checks]')

  step('add a target: SSH shows its key fields; an agent enrollment shows its token once')
  await page.goto(`${org}/targets`)
  await page.click('[data-test=add-target]')
  await page.click('[data-test=kind-ssh]')
  await page.locator('[data-test=ssh-section] textarea[name=ssh-private-key]').waitFor()
  await page.locator('[data-test=ssh-section] input[name=ssh-host-key]').waitFor()
  if ((await page.locator('[data-test=tls-section]').count()) !== 0) throw new Error('an ssh:// target shows the TLS section')
  await page.click('[data-test=kind-agent]')
  await page.fill('input[name=target-name]', 'e2e-edge')
  await page.click('[data-test=add-target-submit]')
  const command = (await page.locator('[data-test=agent-command]').textContent()).trim()
  const started = /^windflow agent --server (\S+) --token (\S{16,})$/.exec(command)
  if (!started || started[1] !== new URL(base).origin) throw new Error(`the agent command is ${JSON.stringify(command)}`)
  await shot(page, 'add-agent-target')
  await page.click('[data-test=enrollment-done]')
  const agents = await page.evaluate(async () => (await fetch('/api/v1/orgs/default/agents')).json())
  if (agents.some((a) => a.connected)) throw new Error(`an agent is connected before any ran: ${JSON.stringify(agents)}`)
  // Shown once: the dialog opens on an empty form again.
  await page.click('[data-test=add-target]')
  await page.locator('input[name=target-name]').waitFor()
  if ((await page.locator('[data-test=agent-command]').count()) !== 0) throw new Error('the enrollment token is shown again')
  await page.keyboard.press('Escape')

  step('an SSH target added through the dialog (key from a file); its host key trusted by pasting the checked fingerprint')
  const sshd = await startSshd()
  try {
    await page.click('[data-test=add-target]')
    await page.click('[data-test=kind-ssh]')
    await page.fill('input[name=target-name]', 'e2e-ssh')
    await page.fill('input[name=target-endpoint]', sshd.endpoint)
    await page.setInputFiles('[data-test=ssh-private-key-picker]', sshd.clientKey)
    // The browser reads the file asynchronously.
    let loaded = ''
    for (let t = 0; t < 50 && !loaded.includes('OPENSSH PRIVATE KEY'); t++) {
      await page.waitForTimeout(100)
      loaded = await page.locator('textarea[name=ssh-private-key]').inputValue()
    }
    if (!loaded.includes('OPENSSH PRIVATE KEY')) throw new Error('the key file was not read into the form')
    await page.click('[data-test=add-target-submit]')
    await page.locator('.el-message', { hasText: 'Target e2e-ssh added' }).waitFor()
    await page.goto(`${org}/targets/e2e-ssh`)
    await page.locator('[data-test=trust-needed]', { hasText: sshd.fingerprint }).waitFor()
    const keyShown = await page.locator('[data-test=client-key]').innerText()
    if (!/stored/.test(keyShown) || (await page.content()).includes('PRIVATE KEY-----')) throw new Error(`the client key is shown as ${JSON.stringify(keyShown)}`)
    await page.click('[data-test=trust-host-key]')
    const prefilled = await page.locator('input[name=trust-fingerprint]').inputValue()
    if (prefilled) throw new Error(`the fingerprint to confirm is prefilled: ${prefilled}`)
    await page.fill('input[name=trust-fingerprint]', sshd.fingerprint)
    if (shots) await page.waitForTimeout(400) // the dialog's fade-in
    await shot(page, 'trust-host-key')
    await page.click('[data-test=confirm-trust]')
    await page.locator('[data-test=trust-result]', { hasText: 'Trusted: Docker' }).waitFor()
    await page.locator('[data-test=host-key-fingerprint]', { hasText: sshd.fingerprint }).waitFor()
    await page.keyboard.press('Escape')
    // A target nothing runs on is deleted after a confirmation naming it.
    await page.click('[data-test=delete-target]')
    await page.locator('.el-message-box', { hasText: 'Delete the target e2e-ssh? Nothing of WindFlow' }).waitFor()
    await page.click('.el-message-box__btns button:has-text("Delete")')
    await page.waitForURL(`${org}/targets`)
    await page.locator('[data-test=targets]').waitFor()
    if ((await page.locator('[data-test=targets] >> text=e2e-ssh').count()) !== 0) throw new Error('the deleted target is still listed')
  } finally {
    sshd.stop()
  }

  step('the org switcher navigates; a deep link keeps its organization across reloads')
  await page.evaluate(async () => {
    const s = await (await fetch('/api/v1/auth/session')).json()
    const r = await fetch('/api/v1/orgs', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf_token },
      body: JSON.stringify({ slug: 'e2e-second', name: 'Second org' }),
    })
    if (r.status !== 201) throw new Error(`creating an organization: ${r.status}`)
  })
  await page.reload()
  await page.click('[data-test=org-switcher]')
  await page.click('.el-select-dropdown__item >> text=Second org')
  await page.waitForURL(`${base}/o/e2e-second`)
  await page.goto(`${base}/o/e2e-second/stacks`)
  await page.waitForSelector('text=No stacks yet')
  // A link into `default` opens `default` even though the last org chosen was e2e-second.
  await page.goto(`${org}/stacks/${stack}`)
  await page.reload()
  await page.waitForSelector('[data-test=deploy]')
  const shown = await page.locator('[data-test=org-switcher]').innerText()
  if (!/default/i.test(shown)) throw new Error(`the org switcher shows ${JSON.stringify(shown)} on a default page`)
  // An older link without the organization lands in the current one.
  await page.goto(`${base}/deployments`)
  await page.waitForURL(`${org}/deployments`)

  step('a removed variable is put back with Undo')
  await page.goto(`${org}/stacks/${stack}?tab=variables`)
  await page.fill('input[name=var-name]', 'E2E_MODE')
  await page.fill('input[name=var-value]', 'blue')
  await page.click('.el-tab-pane:not([style*="display: none"]) button[type=submit]')
  await page.locator('[data-test=remove-var-E2E_MODE]').waitFor()
  await page.click('[data-test=remove-var-E2E_MODE]')
  await page.locator('.el-message-box', { hasText: 'Remove the variable E2E_MODE' }).waitFor()
  await page.click('.el-message-box__btns button:has-text("Remove")')
  await page.locator('[data-test=remove-var-E2E_MODE]').waitFor({ state: 'detached' })
  await page.click('[data-test=undo]')
  await page.locator('[data-test=remove-var-E2E_MODE]').waitFor()
  await page.locator('.el-table', { hasText: 'blue' }).first().waitFor()

  step('domains: a bad name refused at its field; a domain set for the web service (TLS off) is listed as a link, then removed')
  // Set and removed before any later deployment: a deployment of a stack with domains starts
  // a gateway container on the engine (no ACME server runs here, hence TLS off).
  {
    const domain = `${stack}.e2e.test`
    const domainsOf = () => page.evaluate(async ({ stack }) => (await fetch(`/api/v1/orgs/default/stacks/${stack}/domains`)).json(), { stack })
    await page.goto(`${org}/stacks/${stack}?tab=domains`)
    await page.locator('[data-test=domains]', { hasText: 'No domains' }).waitFor()
    await page.locator('[data-test=domains-service]', { hasText: 'web' }).waitFor()
    await page.click('[data-test=domains-tls] >> text=Off')
    const names = page.locator('[data-test=domains-names] input')
    await names.fill('bad_host..e2e.test')
    await names.press('Enter')
    await page.click('[data-test=save-domains]')
    await page.locator('[data-test=domains-form] .el-form-item__error', { hasText: 'bad_host..e2e.test' }).waitFor()
    await page.click('[data-test=domains-names] .el-tag__close')
    await names.fill(domain)
    await names.press('Enter')
    await page.click('[data-test=save-domains]')
    await page.locator('.el-message', { hasText: 'Domains of web saved' }).waitFor()
    const link = page.locator('[data-test=domains] [data-test=domain-link]', { hasText: domain })
    await link.waitFor()
    if ((await link.getAttribute('href')) !== `http://${domain}`) throw new Error(`the domain links to ${await link.getAttribute('href')}`)
    await page.locator('[data-test=domains-row-web-all]').waitFor()
    const set = await domainsOf()
    if (set.length !== 1 || set[0].source !== 'control-plane' || set[0].tls !== 'off' || set[0].port !== 8080 || set[0].domains[0] !== domain) {
      throw new Error(`the stack's domains are ${JSON.stringify(set)}`)
    }
    await shot(page, 'stack-domains')
    await page.click('[data-test=remove-domains-web-all]')
    await page.locator('.el-message-box', { hasText: `Remove the domains of ${stack}/web in every environment` }).waitFor()
    await page.click('.el-message-box__btns button:has-text("Remove")')
    await page.locator('[data-test=domains-row-web-all]').waitFor({ state: 'detached' })
    const after = await domainsOf()
    if (after.length !== 0) throw new Error(`after the removal the stack's domains are ${JSON.stringify(after)}`)
  }

  step('certificates: a key that does not match is refused at its field; an uploaded one is listed as expiring, never its key; deleted after a confirmation')
  {
    const dir = mkdtempSync(join(tmpdir(), 'windflow-e2e-cert-'))
    try {
      const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
      execFileSync('openssl', ['req', '-x509', ...ec, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '10',
        '-subj', '/CN=cert.e2e.test', '-addext', 'subjectAltName=DNS:cert.e2e.test'], { stdio: 'ignore' })
      execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', join(dir, 'other.pem')], { stdio: 'ignore' })
      const chain = readFileSync(join(dir, 'cert.pem'), 'utf8')
      await page.locator('.el-message-box').waitFor({ state: 'hidden' }) // the confirmation's overlay fades out
      await page.click('[data-test=nav-certificates]')
      await page.waitForURL(`${org}/certificates`)
      await page.locator('[data-test=certificates]').waitFor()
      await page.click('[data-test=upload-certificate]')
      await page.fill('input[name=certificate-name]', 'e2e-cert')
      await page.fill('textarea[name=certificate-chain]', chain)
      await page.fill('textarea[name=certificate-key]', readFileSync(join(dir, 'other.pem'), 'utf8'))
      await page.click('[data-test=upload-certificate-submit]')
      await page.locator('.el-dialog .el-form-item:has-text("Private key (PEM)") .el-form-item__error').waitFor()
      await page.fill('textarea[name=certificate-key]', readFileSync(join(dir, 'key.pem'), 'utf8'))
      await page.click('[data-test=upload-certificate-submit]')
      await page.locator('.el-message', { hasText: 'Certificate e2e-cert stored' }).waitFor()
      const row = page.locator('[data-test=certificates] tr', { hasText: 'e2e-cert' })
      await row.locator('[data-test=certificate-status][data-status=expiring]').waitFor()
      await row.getByText('cert.e2e.test', { exact: true }).waitFor()
      if (!/expires (in|next) /.test(await row.innerText())) throw new Error(`the certificate's row reads ${JSON.stringify(await row.innerText())}`)
      // The dialog (its key field with it) is destroyed once closed; the list never has a key.
      await page.locator('textarea[name=certificate-key]').waitFor({ state: 'detached' })
      if ((await page.content()).includes('PRIVATE KEY-----')) throw new Error('the private key is still in the page')
      await shot(page, 'certificates')
      await page.click('[data-test=delete-certificate-e2e-cert]')
      await page.locator('.el-message-box', { hasText: 'Delete the certificate e2e-cert?' }).waitFor()
      await page.click('.el-message-box__btns button:has-text("Delete")')
      await page.locator('[data-test=certificates]', { hasText: 'No certificates yet' }).waitFor()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  step('DNS: the page lists the zones and records (none without a provider), and an admin can check the records now')
  {
    await page.locator('.el-message-box').waitFor({ state: 'hidden' })
    await page.click('[data-test=nav-dns]')
    await page.waitForURL(`${org}/dns`)
    await page.locator('[data-test=dns-zones]', { hasText: 'No DNS providers yet' }).waitFor()
    await page.locator('[data-test=dns-records]', { hasText: 'No records' }).waitFor()
    const checked = page.waitForResponse((r) => r.url().endsWith('/dns/records/check') && r.request().method() === 'POST')
    await page.click('[data-test=check-records]')
    if ((await checked).status() !== 200) throw new Error(`checking the DNS records answered ${(await checked).status()}`)
  }

  step("target page: the Gateway tab shows the local target's gateway")
  await page.goto(`${org}/targets/local?tab=gateway`)
  await page.locator('[data-test=gateway-state]').waitFor()
  await page.locator('[data-test=gateway-routes]').waitFor()
  {
    const meta = await page.locator('[data-test=gateway-meta]').innerText()
    if (!/HTTP/.test(meta) || !/Image/.test(meta)) throw new Error(`the gateway section reads ${JSON.stringify(meta)}`)
  }

  step('delete a deployed stack: confirmed, undeployed first, its history kept')
  const gone = `${stack}-gone`
  const deployedId = await page.evaluate(async ({ gone, content }) => {
    const s = await (await fetch('/api/v1/auth/session')).json()
    const post = (path, body) =>
      fetch(`/api/v1/orgs/default${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf_token },
        body: JSON.stringify(body),
      })
    if ((await post('/stacks', { name: gone, content })).status !== 201) throw new Error('creating the stack')
    const d = await (await post('/deployments', { stack: gone, target: 'local' })).json()
    return d.id
  }, { gone, content: good.replace(/\n\s*ports:\n.*$/s, '') + '\n' })
  await page.goto(`${org}/deployments/${deployedId}`)
  await page.waitForSelector('[data-test=deployment-state] [data-state=succeeded]', { timeout: 90_000 })
  await page.goto(`${org}/stacks/${gone}`)
  await page.locator('[data-test=deployed-on]', { hasText: 'Runs on local (v1)' }).waitFor()
  await page.click('[data-test=delete-stack]')
  await page.locator('.el-message-box', { hasText: `${gone} runs on local (v1)` }).waitFor()
  await shot(page, 'delete-stack')
  await page.click('.el-message-box__btns button:has-text("Undeploy and delete")')
  await page.waitForURL(/\/o\/default\/deployments\/[^/]+$/)
  await page.waitForSelector('[data-test=deployment-state] [data-state=succeeded]', { timeout: 90_000 })
  await page.goto(`${org}/stacks`)
  await page.fill('[aria-label="Filter stacks"]', gone.toUpperCase())
  await page.locator('[data-test=stacks]', { hasText: `No stack matches` }).waitFor()
  await page.goto(`${org}/deployments`)
  await page.locator(`text=${gone}`).first().waitFor()

  step('accessibility: WCAG 2.2 AA on every main page, light and dark (axe-core)')
  {
    const state = await context.storageState()
    const problems = []
    for (const theme of ['light', 'dark']) {
      const a11y = await browser.newContext({ viewport: { width: 1366, height: 860 }, bypassCSP: true, storageState: state, ...secure })
      await a11y.addInitScript((t) => localStorage.setItem('windflow.theme', t), theme)
      const p = await a11y.newPage()
      p.setDefaultTimeout(45_000)
      const pages = [
        [`${org}`, '[data-test=dashboard-stats]'],
        [`${org}/stacks`, '[data-test=stacks]'],
        [`${org}/stacks/${stack}`, '[data-test=yaml-editor]'],
        [`${org}/stacks/${stack}?tab=history`, '.el-table'],
        [`${org}/stacks/${stack}/deploy`, '[data-test=preview]'],
        [`${org}/catalog`, '[data-test=catalog]'],
        [`${org}/deployments`, '.el-table'],
        [deployedUrl, '[data-test=deployment-state]'],
        [`${org}/targets`, '[data-test=targets]'],
        [`${org}/targets/local`, 'text=Containers'],
        [`${org}/targets/local?tab=gateway`, '[data-test=gateway-routes]'],
        [`${org}/stacks/${stack}?tab=domains`, '[data-test=domains-form]'],
        [`${org}/certificates`, '[data-test=certificates]'],
        [`${org}/dns`, '[data-test=dns-zones]'],
        [`${org}/admin`, '.el-tabs'],
      ]
      for (const [url, ready] of pages) problems.push(...(await audit(p, url, ready)).map((l) => `[${theme}] ${l}`))
      if (shots && theme === 'dark') {
        await p.goto(`${org}/stacks/${stack}?tab=history`)
        await p.waitForSelector('[data-test=versions]')
        await p.waitForTimeout(800)
        await shot(p, 'dark-stack-history')
        await p.goto(`${org}`)
        await p.waitForSelector('[data-test=dashboard-stats]')
        await shot(p, 'dark-dashboard')
      }
      await a11y.close()
    }
    if (problems.length) throw new Error(`accessibility violations (serious or critical):\n${problems.join('\n')}`)
  }

  step('small screens (390×844): no page scrolls sideways; the navigation is a drawer over the content')
  {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, storageState: await context.storageState(), ...secure })
    const p = await phone.newPage()
    p.setDefaultTimeout(45_000)
    const overflowing = []
    for (const [url, ready] of [
      [`${org}`, '[data-test=dashboard-stats]'],
      [`${org}/stacks`, '[data-test=stacks]'],
      [`${org}/stacks/${stack}`, '[data-test=yaml-editor]'],
      [`${org}/stacks/${stack}/deploy`, '[data-test=preview]'],
      [`${org}/deployments`, '.el-table'],
      [deployedUrl, '[data-test=deployment-state]'],
      [`${org}/targets`, '[data-test=targets]'],
      [`${org}/targets/local`, 'text=Containers'],
      [`${org}/targets/local?tab=gateway`, '[data-test=gateway-routes]'],
      [`${org}/stacks/${stack}?tab=domains`, '[data-test=domains-form]'],
      [`${org}/certificates`, '[data-test=certificates]'],
      [`${org}/dns`, '[data-test=dns-zones]'],
      [`${org}/admin`, '.el-tabs'],
    ]) {
      await p.goto(url)
      await p.waitForSelector(ready)
      await p.waitForTimeout(200)
      const widths = await p.evaluate(() => {
        const body = document.querySelector('.body')
        return { page: document.documentElement.scrollWidth, body: body ? body.scrollWidth : 0, view: window.innerWidth }
      })
      if (widths.page > widths.view || widths.body > widths.view) overflowing.push(`${url}: ${JSON.stringify(widths)}`)
      if (url === `${org}`) await shot(p, 'mobile-dashboard')
    }
    if (overflowing.length) throw new Error(`pages wider than the screen:\n${overflowing.join('\n')}`)
    // The drawer: closed, opened over the content with labels, closed again by navigating.
    const closed = await p.locator('[data-test=nav-stacks]').boundingBox()
    if (closed && closed.x + closed.width > 0) throw new Error(`the navigation shows on a phone before it is opened: ${JSON.stringify(closed)}`)
    await p.click('[data-test=nav-toggle]')
    await p.waitForTimeout(300) // the drawer slides in
    const opened = await p.locator('[data-test=nav-stacks]').boundingBox()
    if (!opened || opened.x < 0 || !(await p.locator('[data-test=nav-stacks]').innerText()).includes('Stacks')) {
      throw new Error(`the opened drawer does not show the labelled navigation: ${JSON.stringify(opened)}`)
    }
    await shot(p, 'mobile-navigation')
    await p.click('[data-test=nav-stacks]')
    await p.waitForURL(`${org}/stacks`)
    await p.locator('[data-test=nav-backdrop]').waitFor({ state: 'detached' })
    for (const sel of ['[data-test=org-switcher]', '[data-test=user-menu]']) {
      const box = await p.locator(sel).boundingBox()
      if (!box || box.x < 0 || box.x + box.width > 390) throw new Error(`${sel} is cut off on a phone: ${JSON.stringify(box)}`)
    }
    await phone.close()
  }

  step('log out')
  await page.click('[data-test=user-menu]')
  await page.click('[data-test=logout]')
  await page.waitForURL(/\/login/)

  step('a viewer sees no deploy button, and the API refuses (403)')
  await page.fill('input[name=username]', env('WINDFLOW_VIEWER_USER'))
  await page.fill('input[name=password]', env('WINDFLOW_VIEWER_PASSWORD'))
  await page.click('[data-test=login]')
  await page.waitForURL(`${org}`)
  await page.goto(`${org}/stacks/${stack}`)
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

  await page.goto(`${base}/o/e2e-second/stacks`)
  await page.waitForSelector('[data-test=foreign-org]')

  if (cspErrors.length) throw new Error(`Content-Security-Policy violations:\n${cspErrors.join('\n')}`)
  step('all passed')
} catch (e) {
  console.error(`e2e failed at ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  for (const line of diagnostics.errors) console.error(`  ${line}`)
  for (const line of diagnostics.pending.values()) console.error(`  unanswered: ${line}`)
  throw e
} finally {
  await browser.close()
}
