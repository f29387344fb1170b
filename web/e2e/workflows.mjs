// Workflows end to end, in Debian's headless Chromium (playwright-core), in two parts; each
// runs when its inputs are set (both in one run when all are):
//   1. the editor (E2E_WORKFLOW set): an admin opens Workflows, creates the workflow
//      E2E_WORKFLOW, drags Git update, Deploy and Notify from the palette onto the canvas,
//      connects them (source handle → target handle), fills their settings (E2E_STACK,
//      E2E_REPOSITORY, E2E_TARGET, E2E_CHANNEL), saves (the YAML diff, then "Saved as version
//      1"), runs it, waits until every node's status badge reads `succeeded`, and opens the
//      deploy node: its output shows.
//   2. the first render (E2E_BIG_WORKFLOW set: a workflow of E2E_BIG_NODES nodes, default
//      100, PUT by the harness): opens its editor and measures from navigation start until
//      every node is on the page and painted; prints FIRST_RENDER_MS=<n> and fails above
//      E2E_RENDER_BUDGET_MS (default 1000).
// Run with WINDFLOW_URL, WINDFLOW_ADMIN_USER/PASSWORD and, per part: E2E_WORKFLOW, E2E_STACK,
// E2E_REPOSITORY, E2E_TARGET, E2E_CHANNEL; E2E_BIG_WORKFLOW (E2E_BIG_NODES,
// E2E_RENDER_BUDGET_MS). E2E_ORG (default `default`), CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core'

const env = (name) => {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}
const base = env('WINDFLOW_URL')
const orgSlug = process.env.E2E_ORG || 'default'
const org = `${base}/o/${orgSlug}`
const t0 = Date.now()
const step = (name) => console.log(`e2e workflows [${((Date.now() - t0) / 1000).toFixed(1)} s]: ${name}`)
const byId = (id) => `[data-testid="${id}"]`

// Chromium aborts requests in flight with ERR_NETWORK_CHANGED when the engine adds a network
// interface: a first load may come back empty; a reload recovers, as a user would.
async function openUntil(page, url, selector, attempts = 3) {
  for (let i = 1; ; i++) {
    await page.goto(url)
    try {
      await page.locator(selector).first().waitFor({ timeout: 15_000 })
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

async function open(user, password, newWorkflow) {
  const context = await browser.newContext({ viewport: { width: 1680, height: 1000 } })
  const page = await context.newPage()
  page.setDefaultTimeout(30_000)
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (401|404)|ERR_NETWORK_CHANGED/.test(m.text())) errors.push(`console: ${m.text()}`)
  })
  // Expected refusals: the login page's session probe (401 before logging in), the AI
  // provider (404: none configured), and the editor asking for a workflow not saved yet (404).
  page.on('response', (r) => {
    if (r.status() < 400) return
    const path = new URL(r.url()).pathname
    const expected =
      (r.status() === 401 && path === '/api/v1/auth/session') ||
      (r.status() === 404 && /\/ai\/provider$/.test(path)) ||
      (r.status() === 404 && newWorkflow && path === `/api/v1/orgs/${orgSlug}/workflows/${newWorkflow}`)
    if (!expected) errors.push(`answer: ${r.status()} ${r.request().method()} ${path}`)
  })
  await page.goto(`${base}/login`)
  await page.fill('input[name=username]', user)
  await page.fill('input[name=password]', password)
  await page.click('[data-test=login]')
  await page.waitForURL(/\/o\//)
  return page
}

/** The centre of `selector`'s box. */
async function centre(page, selector) {
  const box = await page.locator(selector).first().boundingBox()
  if (!box) throw new Error(`${selector} is not on the page`)
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 }
}

/** Drags a palette item onto the canvas at (x, y) of the pane (HTML5 drag and drop). */
async function dropNode(page, type, x, y) {
  await page.dragAndDrop(byId(`palette-${type}`), '.vue-flow__pane', { targetPosition: { x, y } })
  await page.locator(byId(`node-${type}`)).waitFor()
}

/** Connects `from`'s output handle to `to`'s input handle with the mouse. */
async function connect(page, from, to) {
  const edges = await page.locator('.vue-flow__edge').count()
  const a = await centre(page, `${byId(`node-${from}`)} .vue-flow__handle.source`)
  const b = await centre(page, `${byId(`node-${to}`)} .vue-flow__handle.target`)
  await page.mouse.move(a.x, a.y)
  await page.mouse.down()
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 8 })
  await page.mouse.move(b.x, b.y, { steps: 8 })
  await page.mouse.up()
  await page.waitForFunction((n) => document.querySelectorAll('.vue-flow__edge').length > n, edges)
}

/** Selects a node (its settings open in the panel) and fills its settings. */
async function fill(page, node, settings) {
  await page.click(byId(`node-${node}`))
  await page.locator(byId('node-settings')).waitFor()
  const id = await page.inputValue(byId('setting-id'))
  if (id !== node) throw new Error(`the panel shows ${id}, not ${node}`)
  for (const [name, value] of Object.entries(settings)) await page.fill(byId(`setting-${name}`), value)
}

try {
  const admin = env('WINDFLOW_ADMIN_USER')
  const password = env('WINDFLOW_ADMIN_PASSWORD')
  const name = process.env.E2E_WORKFLOW
  const big = process.env.E2E_BIG_WORKFLOW
  if (!name && !big) throw new Error('set E2E_WORKFLOW (the editor) and/or E2E_BIG_WORKFLOW (the first render)')
  const page = await open(admin, password, name)

  if (name) {
    step('Workflows → New workflow')
    await openUntil(page, org, '[data-test=nav-workflows]')
    await page.click('[data-test=nav-workflows]')
    await page.locator(byId('wf-new')).waitFor()
    await page.click(byId('wf-new'))
    await page.fill(byId('wf-new-name'), name)
    await page.click(byId('wf-new-confirm'))
    await page.waitForURL(new RegExp(`/workflows/${name}$`))
    await page.locator('.vue-flow__pane').waitFor()

    step('drag Git update, Deploy and Notify onto the canvas')
    // The pane is about 880 px wide at this viewport: three columns 280 px apart.
    await dropNode(page, 'git_update', 140, 200)
    await dropNode(page, 'deploy', 420, 200)
    await dropNode(page, 'notify', 700, 200)
    if ((await page.locator('.vue-flow__node').count()) !== 3) throw new Error('the canvas does not hold 3 nodes')

    step('connect them')
    await connect(page, 'git_update', 'deploy')
    await connect(page, 'deploy', 'notify')

    step('fill their settings')
    await fill(page, 'git_update', { stack: env('E2E_STACK'), repository: env('E2E_REPOSITORY') })
    await fill(page, 'deploy', { stack: env('E2E_STACK'), target: env('E2E_TARGET') })
    await fill(page, 'notify', { channel: env('E2E_CHANNEL'), message: `${name}: deployed \${{ nodes.deploy.output.version }}` })

    step('save: the diff, then version 1')
    await page.click(byId('wf-save'))
    await page.locator(byId('wf-save-confirm')).waitFor()
    await page.click(byId('wf-save-confirm'))
    await page.locator(byId('wf-saved'), { hasText: /Saved as version 1\b/ }).waitFor()

    step('run it')
    await page.click(byId('wf-run'))
    await page.locator(byId('run-confirm')).waitFor()
    await page.click(byId('run-confirm'))
    await page.waitForURL(new RegExp(`/workflows/${name}/runs/[^/]+$`))

    step('every node succeeds')
    const nodes = ['git_update', 'deploy', 'notify']
    const deadline = Date.now() + 180_000
    for (;;) {
      const statuses = await Promise.all(nodes.map(async (n) => (await page.locator(byId(`node-status-${n}`)).textContent().catch(() => ''))?.trim()))
      if (statuses.every((s) => s === 'succeeded')) break
      const failed = nodes.filter((_, i) => ['failed', 'cancelled', 'skipped'].includes(statuses[i]))
      if (failed.length) {
        await page.click(byId(`node-${failed[0]}`))
        const why = await page.locator(byId('node-error')).textContent().catch(() => '')
        throw new Error(`nodes ${failed.join(', ')} ended ${statuses.join(', ')}: ${why}`)
      }
      if (Date.now() > deadline) throw new Error(`the nodes read ${statuses.join(', ')} after 3 minutes`)
      await page.waitForTimeout(500)
    }

    step("the deploy node's output")
    await page.click(byId('node-deploy'))
    const output = page.locator(byId('node-output'))
    await output.waitFor()
    const text = await output.innerText()
    if (!text.includes(env('E2E_TARGET')) || !/"status"/.test(text)) throw new Error(`the deploy node's output reads ${JSON.stringify(text)}`)
  }

  if (big) {
    const count = Number(process.env.E2E_BIG_NODES || 100)
    const budget = Number(process.env.E2E_RENDER_BUDGET_MS || 1000)
    step(`first render of ${big} (${count} nodes)`)
    // From navigation start (performance.now() counts from it) until every node is there,
    // visible and measured, then the frame that paints them. Three openings, the median
    // judged: on two shared cores one opening can stall behind another test's work.
    const renders = []
    for (let round = 0; round < 3; round++) {
      await page.goto('about:blank')
      await page.goto(`${org}/workflows/${big}`, { waitUntil: 'commit' })
      // Polled from here: the console's Content-Security-Policy forbids the eval that
      // waitForFunction's in-page predicate needs.
      const deadline = Date.now() + 30_000
      for (;;) {
        const done = await page
          .evaluate((n) => {
            const nodes = document.querySelectorAll('.vue-flow__node')
            if (nodes.length && !window.__wfFirstNode) window.__wfFirstNode = performance.now()
            if (nodes.length < n) return false
            for (const el of nodes) if (getComputedStyle(el).visibility === 'hidden' || !el.getBoundingClientRect().width) return false
            return true
          }, count)
          .catch(() => false)
        if (done) break
        if (Date.now() > deadline) throw new Error(`${count} nodes did not show within 30 s`)
        await new Promise((r) => setTimeout(r, 5))
      }
      const ms = Math.round(await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(() => r(performance.now()), 0)))))
      const firstNode = Math.round(await page.evaluate(() => window.__wfFirstNode ?? 0))
      const loaded = Math.round(await page.evaluate(() => performance.getEntriesByType('resource').reduce((m, e) => Math.max(m, e.responseEnd), 0)))
      // Where the time went, for a render over budget: the last file or answer in, the first
      // node in the page, every node painted.
      console.log(`e2e workflows: opening ${round + 1}: resources in at ${loaded} ms, first node at ${firstNode} ms, all ${count} painted at ${ms} ms`)
      renders.push(ms)
    }
    const median = [...renders].sort((a, b) => a - b)[1]
    console.log(`FIRST_RENDER_MS=${median}`)
    console.log(`FIRST_RENDERS_MS=${renders.join(',')}`)
    if (median > budget) throw new Error(`the first render took ${median} ms (median of ${renders.join(', ')}; budget ${budget} ms)`)
  }

  if (errors.length) throw new Error(errors.join('\n'))
  step('done')
} finally {
  await browser.close()
}
