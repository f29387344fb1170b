// Backups end to end, in Debian's headless Chromium (playwright-core), in two phases around
// what the Rust test does through the API (create and deploy a stack, write a file into its
// volume):
//   E2E_PHASE=repository  an admin adds a folder repository on a named volume in the
//                         organization's settings (a bad name is refused at its field first),
//                         then checks it, reading back part of the data: the check is ok.
//   E2E_PHASE=stack       the stack's Backups tab shows the compose file's policy; "Back up
//                         now" runs a backup that succeeds with its size; the snapshot's files
//                         show the folder and the file written into the volume (its download
//                         gives its content); the restore wizard's dry run names the volume it
//                         replaces and the service it stops; the confirmed restore succeeds.
//                         A viewer sees the runs but no "Back up now", restore or download.
// Run with WINDFLOW_URL, WINDFLOW_ADMIN_USER/PASSWORD and, per phase: E2E_REPOSITORY,
// E2E_REPOSITORY_VOLUME, E2E_TARGET; E2E_STACK, E2E_VOLUME (the engine name of its volume),
// E2E_FOLDER, E2E_FILE, E2E_NOTE (the file's content), E2E_VIEWER_USER/PASSWORD.
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
const phase = env('E2E_PHASE')
const org = `${base}/o/default`
const t0 = Date.now()
// Opens `url` until `selector` shows: Chromium aborts requests in flight with
// ERR_NETWORK_CHANGED when the engine adds a network interface (other tests' containers), so
// a first load may come back empty; a reload recovers, as a user would.
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

const step = (name) => console.log(`e2e ${phase} [${((Date.now() - t0) / 1000).toFixed(1)} s]: ${name}`)
const exact = (text) => new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`)

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
    // The 422 the bad repository name answers is expected; anything else is not.
    // ERR_NETWORK_CHANGED: see openUntil.
    if (m.type() === 'error' && !/status of 422|ERR_NETWORK_CHANGED/.test(m.text())) errors.push(`console: ${m.text()}`)
  })
  await page.goto(`${base}/login`)
  await page.fill('input[name=username]', user)
  await page.fill('input[name=password]', password)
  await page.click('[data-test=login]')
  await page.waitForURL(/\/o\/default/)
  return page
}

/** Fails with the run's error as soon as a run of `kind` ends other than succeeded. */
async function waitRun(page, kind, timeout) {
  const row = page.locator(`[data-test=backup-runs] [data-test=run-row][data-kind=${kind}]`).first()
  const deadline = Date.now() + timeout
  for (;;) {
    const status = await row.getAttribute('data-status').catch(() => null)
    if (status === 'succeeded') return
    if (status === 'failed' || status === 'cancelled') {
      const error = await page.locator('[data-test=backup-runs] [data-test=run-error]').first().innerText().catch(() => '')
      throw new Error(`the ${kind} ${status}: ${error}`)
    }
    if (Date.now() > deadline) throw new Error(`the ${kind} did not end in ${timeout / 1000} s (status ${status})`)
    await page.waitForTimeout(500)
  }
}

async function audit(page, url, ready, label) {
  const state = await page.context().storageState()
  const problems = []
  for (const theme of ['light', 'dark']) {
    // The audit script is injected: a context that bypasses the console's CSP.
    const a11y = await browser.newContext({ viewport: { width: 1366, height: 900 }, bypassCSP: true, storageState: state })
    await a11y.addInitScript((t) => localStorage.setItem('windflow.theme', t), theme)
    const p = await a11y.newPage()
    p.setDefaultTimeout(30_000)
    await p.goto(url)
    await p.waitForSelector(ready)
    await p.waitForTimeout(400) // transitions settle
    await p.addScriptTag({ content: AXE })
    const found = await p.evaluate(async () => {
      const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)
    })
    problems.push(...found.map((f) => `[${theme}] ${label}: ${f}`))
    await a11y.close()
  }
  return problems
}

try {
  const page = await open(env('WINDFLOW_ADMIN_USER'), env('WINDFLOW_ADMIN_PASSWORD'))
  if (phase === 'repository') {
    const repository = env('E2E_REPOSITORY')
    const volume = env('E2E_REPOSITORY_VOLUME')
    const target = env('E2E_TARGET')

    step('organization settings → Backup repositories')
    await openUntil(page, `${org}/admin?tab=backups`, '[data-test=add-repository]')
    const form = page.locator('[data-test=add-repository]')

    step('a folder repository on a named volume; a bad name is refused at its field')
    await page.click('[data-test=repository-target]')
    await page.locator('.el-select-dropdown__item:visible', { hasText: exact(target) }).click()
    await page.click('[data-test=kind-folder]')
    await page.fill('input[name=folder-path]', volume)
    const named = page.locator('[data-test=folder-volume] input[type=checkbox]')
    if (!(await named.isChecked())) await page.click('[data-test=folder-volume]')
    await page.fill('input[name=repository-name]', 'not a name!')
    await page.click('[data-test=add-repository-submit]')
    const nameError = form.locator('.el-form-item', { has: page.locator('input[name=repository-name]') }).locator('.el-form-item__error')
    await nameError.waitFor()
    if (!/letters, digits/.test(await nameError.innerText())) throw new Error(`the name's error reads ${JSON.stringify(await nameError.innerText())}`)

    step('add it: initialized on the target, listed')
    await page.fill('input[name=repository-name]', repository)
    await page.click('[data-test=add-repository-submit]')
    await page.locator(`[data-test=backup-repositories] [data-test="repository-${repository}"]`).waitFor({ timeout: 180_000 })
    const row = page.locator('[data-test=backup-repositories] tr', { has: page.locator(`[data-test="repository-${repository}"]`) })
    const location = (await row.locator('.location').innerText()).trim()
    if (location !== `volume ${volume}`) throw new Error(`the location reads ${JSON.stringify(location)}`)
    if ((await nameError.count()) && (await nameError.isVisible())) throw new Error('the name error stayed after a success')

    step('check now, reading back 10 % of the data: ok')
    await page.click(`[data-test="check-now-${repository}"]`)
    await page.fill('[data-test=check-read-data] input', '10')
    await page.press('[data-test=check-read-data] input', 'Tab')
    await page.click('[data-test=check-start]')
    await page.locator(`[data-test="check-${repository}"] [data-check=ok]`).waitFor({ timeout: 180_000 }).catch(async () => {
      throw new Error(`the check did not pass: ${await page.locator(`[data-test="check-${repository}"]`).innerText()}`)
    })

    step('accessibility of the repositories tab (axe-core)')
    const problems = await audit(page, `${org}/admin?tab=backups`, `[data-test="repository-${repository}"]`, 'backup repositories')
    if (problems.length) throw new Error(`accessibility violations:\n${problems.join('\n')}`)
  } else if (phase === 'stack') {
    const stack = env('E2E_STACK')
    const volume = env('E2E_VOLUME')
    const folder = env('E2E_FOLDER')
    const file = env('E2E_FILE')
    const note = env('E2E_NOTE')
    const tab = `${org}/stacks/${stack}?tab=backups`

    step("the stack's Backups tab: the compose file's policy")
    await openUntil(page, tab, '[data-test=backup-policy] [data-test=policy-source][data-source=compose]')

    step('back up now: the run succeeds with its size')
    await page.click('[data-test=backup-now]')
    await page.locator('[data-test=backup-runs] [data-test=run-row][data-kind=backup]').first().waitFor()
    await waitRun(page, 'backup', 240_000)
    const run = page.locator('[data-test=backup-runs] tr', { has: page.locator('[data-test=run-row][data-kind=backup][data-status=succeeded]') }).first()
    const size = (await run.locator('[data-test=run-size]').innerText()).trim()
    if (!/^\d+(\.\d)? (B|KiB|MiB)$/.test(size)) throw new Error(`the run's size reads ${JSON.stringify(size)}`)
    await page.locator('[data-test=last-success] time').waitFor()

    step("the snapshot's files: the folder, then the file; its download gives its content")
    await page.click('[data-test="snapshot-files-volume:data"]')
    const files = page.locator('[data-test=snapshot-browser]')
    await files.locator(`[data-test="entry-${folder}"][data-kind=dir]`).click()
    await files.locator(`[data-test="entry-${file}"]`).waitFor()
    const href = await files.locator(`[data-test="download-${file}"]`).getAttribute('href')
    const downloaded = await page.evaluate(async (u) => {
      const r = await fetch(u)
      return { status: r.status, text: await r.text() }
    }, href)
    if (downloaded.status !== 200 || downloaded.text.trim() !== note) throw new Error(`downloading ${file}: ${downloaded.status} ${JSON.stringify(downloaded.text)}`)
    await page.keyboard.press('Escape')
    await files.waitFor({ state: 'hidden' })

    step('the restore wizard: the backup, every item, this stack → the dry-run plan names the volume')
    await page.click('[data-test=restore-open]')
    const wizard = page.locator('.el-dialog', { has: page.locator('[data-test=restore-runs]') })
    await wizard.waitFor()
    await page.click('[data-test=restore-next]')
    await page.locator('[data-test="restore-item-volume:data"]').waitFor()
    await page.click('[data-test=restore-next]')
    await page.locator('[data-test=restore-elsewhere]').waitFor()
    await page.click('[data-test=restore-plan-button]')
    const plan = page.locator('[data-test=restore-plan]')
    await plan.waitFor()
    const replaces = (await plan.locator('[data-test=plan-replaces]').allInnerTexts()).map((t) => t.trim())
    if (!replaces.some((r) => r.split(/\s+/).includes(volume))) throw new Error(`the plan replaces ${JSON.stringify(replaces)}, not ${volume}`)
    const stops = (await plan.locator('[data-test=plan-stops]').first().innerText()).trim()
    if (!/files/.test(stops)) throw new Error(`the plan stops ${JSON.stringify(stops)}`)

    step('confirm: the restore succeeds')
    await page.click('[data-test=restore-confirm]')
    const progress = page.locator('[data-test=restore-progress]')
    await progress.waitFor()
    const deadline = Date.now() + 240_000
    for (;;) {
      const status = await progress.getAttribute('data-status')
      if (status === 'succeeded') break
      if (status === 'failed' || status === 'cancelled' || Date.now() > deadline) {
        throw new Error(`the restore ${status}: ${await progress.innerText()}`)
      }
      await page.waitForTimeout(500)
    }
    await page.keyboard.press('Escape')
    await page.locator('[data-test=backup-runs] [data-test=run-row][data-kind=restore][data-status=succeeded]').waitFor()

    step('accessibility of the Backups tab (axe-core)')
    const problems = await audit(page, tab, '[data-test=backup-runs] [data-test=run-row]', 'stack backups')
    if (problems.length) throw new Error(`accessibility violations:\n${problems.join('\n')}`)

    step('a viewer: the runs and files, no "Back up now", restore or download')
    const viewer = await open(env('E2E_VIEWER_USER'), env('E2E_VIEWER_PASSWORD'))
    await viewer.goto(tab)
    await viewer.locator('[data-test=backup-runs] [data-test=run-row][data-kind=backup]').first().waitFor()
    await viewer.locator('[data-test="snapshot-files-volume:data"]').first().waitFor()
    for (const control of ['backup-now', 'drill-now', 'restore-open', 'policy-edit']) {
      if (await viewer.locator(`[data-test=${control}]`).count()) throw new Error(`a viewer sees ${control}`)
    }
    if (await viewer.locator('[data-test^=snapshot-restore-]').count()) throw new Error('a viewer sees a snapshot restore button')
    await viewer.locator('[data-test="snapshot-files-volume:data"]').first().click()
    const seen = viewer.locator('[data-test=snapshot-browser]')
    await seen.locator(`[data-test="entry-${folder}"]`).click()
    await seen.locator(`[data-test="entry-${file}"]`).waitFor()
    if (await seen.locator('[data-test^=download-]').count()) throw new Error('a viewer sees a download link')
  } else {
    throw new Error(`unknown E2E_PHASE ${phase}`)
  }
  step('done')
} catch (e) {
  console.error(`${e.stack ?? e}\n${errors.join('\n')}`)
  process.exitCode = 1
} finally {
  await browser.close()
}
