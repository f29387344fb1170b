// The web console's first load, measured in Debian's headless Chromium (playwright-core from
// web/node_modules, no downloaded browser). Called by bench/web.sh with a running
// `windflow serve` at WINDFLOW_URL (admin / WINDFLOW_ADMIN_PASSWORD):
//   1. seeds the default organization: a few stacks, two extra targets, and deployments of
//      the first stacks onto the `local` Docker target (WINDFLOW_TEST_IMAGE), waited to the end;
//   2. logs in once in the browser and keeps the session cookie;
//   3. loads the dashboard WINDFLOW_BENCH_LOADS times (default 9), each in a fresh browser
//      context (empty HTTP cache, same session cookie), and reads the Navigation Timing entry
//      and the `wf:dashboard-rendered` mark that DashboardView sets once its API calls have
//      answered and their data is in the DOM.
// Prints a JSON summary on stdout; progress on stderr.
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { chromium } = createRequire(resolve(root, 'web/package.json'))('playwright-core')

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback
  if (v === undefined) throw new Error(`${name} is not set`)
  return v
}
const base = env('WINDFLOW_URL')
const password = env('WINDFLOW_ADMIN_PASSWORD')
const image = env('WINDFLOW_TEST_IMAGE')
const loads = Number(env('WINDFLOW_BENCH_LOADS', '9'))
const prefix = env('WINDFLOW_BENCH_PREFIX', 'webbench')
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']
const log = (m) => console.error(`bench/web-load: ${m}`)

// --- seeding, through the API like any client -------------------------------------------
let cookie = ''
let csrf = ''
async function request(method, path, body) {
  const headers = { cookie }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET') headers['x-csrf-token'] = csrf
  const r = await fetch(`${base}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await r.text()
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`)
  return { response: r, json: text ? JSON.parse(text) : null }
}
{
  const { response, json } = await request('POST', '/auth/login', { username: 'admin', password })
  cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  csrf = json.csrf_token
}
const STACKS = 6
const DEPLOYED = 3
const ids = []
for (let i = 1; i <= STACKS; i++) {
  const name = `${prefix}-${i}`
  const content = [
    'services:',
    '  web:',
    `    image: ${image}`,
    `    command: ["sh", "-c", "echo ${name} up; exec httpd -f -p 8080"]`,
    '    init: true',
    '  worker:',
    `    image: ${image}`,
    '    command: ["sh", "-c", "exec sleep 100000"]',
    '    init: true',
  ].join('\n')
  await request('POST', '/orgs/default/stacks', { name, content, description: `benchmark stack ${i}` })
  if (i <= DEPLOYED) ids.push((await request('POST', '/orgs/default/deployments', { stack: name, target: 'local' })).json.id)
}
// Two more targets the dashboard lists (no engine behind them: they show as down/unknown).
for (const [i, endpoint] of ['tcp://127.0.0.1:9', 'unix:///run/windflow-bench-nowhere.sock'].entries()) {
  await request('POST', '/orgs/default/targets', { name: `${prefix}-target-${i + 1}`, endpoint })
}
for (const id of ids) {
  for (let t = 0; ; t++) {
    const { json } = await request('GET', `/orgs/default/deployments/${id}`)
    if (['succeeded', 'failed', 'cancelled'].includes(json.state)) {
      log(`deployment ${json.stack}: ${json.state}`)
      break
    }
    if (t > 600) throw new Error(`deployment ${id} still ${json.state} after 60 s`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

// Chromium drops loads in flight with ERR_NETWORK_CHANGED when Docker adds or removes
// interfaces (other containers starting on this machine): such a load is retried, not counted.
async function retry(what, fn) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (e) {
      if (attempt >= 4) throw e
      log(`${what} failed (${String(e.message ?? e).split('\n')[0]}): retrying`)
      await new Promise((r) => setTimeout(r, 1000))
    }
  }
}
await new Promise((r) => setTimeout(r, 2000))

// --- measuring ----------------------------------------------------------------------------
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS, headless: true })
const samples = []
try {
  // Log in through the login page once; every measured load reuses that session cookie.
  const storageState = await retry('logging in', async () => {
    const loginContext = await browser.newContext()
    const loginPage = await loginContext.newPage()
    loginPage.setDefaultTimeout(60_000)
    loginPage.on('pageerror', (e) => log(`page error: ${e.message}`))
    loginPage.on('console', (m) => m.type() === 'error' && log(`console: ${m.text()}`))
    await loginPage.goto(`${base}/login`)
    await loginPage.fill('input[name=username]', 'admin')
    await loginPage.fill('input[name=password]', password)
    await loginPage.click('[data-test=login]')
    await loginPage.waitForSelector('[data-test=dashboard-stats]')
    const state = await loginContext.storageState()
    await loginContext.close()
    return state
  })

  // One unmeasured load warms the server side (SQLite pages, the OS file cache), not the browser.
  for (let i = 0; i <= loads; i++) {
    const m = await retry(`load ${i}`, async () => {
      const context = await browser.newContext({ storageState, viewport: { width: 1366, height: 860 } })
      const page = await context.newPage()
      const wall = performance.now()
      await page.goto(`${base}/`)
      await page.waitForSelector('[data-test=dashboard-stats]', { timeout: 30_000 })
      const m = await page.evaluate(async () => {
        for (let t = 0; t < 200 && !performance.getEntriesByName('wf:dashboard-rendered').length; t++) {
          await new Promise((r) => setTimeout(r, 10))
        }
        const nav = performance.getEntriesByType('navigation')[0]
        const mark = performance.getEntriesByName('wf:dashboard-rendered')[0]
        const fcp = performance.getEntriesByName('first-contentful-paint')[0]
        const api = performance
          .getEntriesByType('resource')
          .filter((r) => r.name.includes('/api/v1/'))
          .map((r) => ({ url: new URL(r.name).pathname, start: r.startTime, end: r.responseEnd }))
        const js = performance
          .getEntriesByType('resource')
          .filter((r) => r.name.endsWith('.js'))
          .reduce((sum, r) => sum + (r.transferSize || 0), 0)
        return {
          rendered_ms: mark ? mark.startTime : null,
          ttfb_ms: nav.responseStart,
          dom_content_loaded_ms: nav.domContentLoadedEventEnd,
          load_event_ms: nav.loadEventEnd,
          fcp_ms: fcp ? fcp.startTime : null,
          api_calls: api,
          js_transfer_bytes: js,
          rows: document.querySelectorAll('.el-table__row').length,
        }
      })
      m.wall_ms = performance.now() - wall
      if (m.rendered_ms === null) throw new Error('the dashboard never set its wf:dashboard-rendered mark')
      if (m.rows === 0) throw new Error('the dashboard rendered no table rows: was the seeding lost?')
      // The `local` target's page, first in this tab (nothing cached), then again (the
      // inventory last seen shows at once): navigation start → its containers listed, and →
      // the first live CPU figure.
      const target = async () => {
        await page.goto(`${base}/o/default/targets/local`)
        return page.evaluate(async () => {
          const until = async (test) => {
            for (let t = 0; t < 3000 && !test(); t++) await new Promise((r) => setTimeout(r, 5))
            return performance.now()
          }
          const content = await until(() => document.querySelector('[data-test=inventory-containers] .el-table__row'))
          const figures = await until(() => [...document.querySelectorAll('[data-test=inventory-containers] td')].some((td) => /\d+\.\d%/.test(td.textContent ?? '')))
          return { content, figures }
        })
      }
      const cold = await target()
      await page.goto(`${base}/`)
      await page.waitForSelector('[data-test=dashboard-stats]')
      const warm = await target()
      m.target_content_ms = cold.content
      m.target_figures_ms = cold.figures
      m.target_revisit_content_ms = warm.content
      await context.close()
      return m
    })
    if (i === 0) {
      log(`warm-up load: ${m.rendered_ms.toFixed(0)} ms`)
      continue
    }
    samples.push(m)
    log(`load ${i}: target page content ${m.target_content_ms.toFixed(0)} ms (revisit ${m.target_revisit_content_ms.toFixed(0)} ms), first CPU figure ${m.target_figures_ms.toFixed(0)} ms`)
    log(`load ${i}: data rendered at ${m.rendered_ms.toFixed(0)} ms (FCP ${m.fcp_ms?.toFixed(0)} ms, DOMContentLoaded ${m.dom_content_loaded_ms.toFixed(0)} ms, ${m.api_calls.length} API calls, ${m.rows} table rows)`)
  }
} finally {
  await browser.close()
}

const pct = (values, p) => {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}
const summary = (key) => {
  const v = samples.map((s) => s[key])
  return { median: pct(v, 50), p95: pct(v, 95), min: Math.min(...v), max: Math.max(...v) }
}
console.log(
  JSON.stringify(
    {
      loads: samples.length,
      seeded: { stacks: STACKS, deployments: ids.length, targets: 3 },
      rendered_ms: summary('rendered_ms'),
      target_content_ms: summary('target_content_ms'),
      target_figures_ms: summary('target_figures_ms'),
      target_revisit_content_ms: summary('target_revisit_content_ms'),
      fcp_ms: summary('fcp_ms'),
      dom_content_loaded_ms: summary('dom_content_loaded_ms'),
      load_event_ms: summary('load_event_ms'),
      wall_ms: summary('wall_ms'),
      js_transfer_bytes: samples[0].js_transfer_bytes,
      api_calls: samples[0].api_calls.map((a) => a.url),
      samples,
    },
    null,
    2,
  ),
)
