// Single sign-on in Debian's headless Chromium (playwright-core) against a real OpenID
// Provider (panva's oidc-provider, started by the Rust test): the login page offers "Sign in
// with Test IdP"; clicking it goes through the provider's own login and consent pages and
// back into the console as the provider's user, with the role the group mapping gave; the
// admin's Single sign-on tab lists the provider without its secret; logging out goes through
// the provider's logout page back to WindFlow's login page; a refused sign-in shows its reason.
// Run with WINDFLOW_URL, WINDFLOW_ADMIN_USER/PASSWORD, E2E_SSO_LOGIN (the provider account),
// E2E_SSO_NAME (its display name, mapped to operator in `default`),
// E2E_SSO_SECRET (the client secret, which no page may show).
import { chromium } from 'playwright-core'

const env = (name) => {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}
const base = env('WINDFLOW_URL')
const t0 = Date.now()
const step = (name) => console.log(`e2e sso [${((Date.now() - t0) / 1000).toFixed(1)} s]: ${name}`)

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ARGS, headless: true, timeout: 60_000 })
const errors = []

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } })
  const page = await context.newPage()
  page.setDefaultTimeout(30_000)
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`))
  return page
}

try {
  step('the login page offers the provider')
  const page = await newPage()
  await page.goto(`${base}/login`)
  await page.locator('[data-test=sso-test]').waitFor()
  const label = await page.locator('[data-test=sso-test]').innerText()
  if (!/Sign in with Test IdP/.test(label)) throw new Error(`button says ${label}`)

  step('through the provider login and consent pages')
  await page.click('[data-test=sso-test]')
  await page.locator('input[name=login]').waitFor()
  await page.fill('input[name=login]', env('E2E_SSO_LOGIN'))
  await page.fill('input[name=password]', 'any password')
  await page.locator('button[type=submit]').first().click()
  await page.locator('button[type=submit]').first().waitFor()
  await page.locator('button[type=submit]').first().click() // consent

  step('back in the console, as the provider user')
  await page.waitForURL((url) => url.href.startsWith(base) && !url.pathname.startsWith('/login'))
  await page.locator('[data-test=user-menu]').waitFor()
  const who = await page.locator('[data-test=user-menu]').getAttribute('aria-label')
  if (!who.includes(env('E2E_SSO_NAME')) || !who.includes('operator')) throw new Error(`user menu says ${who}`)

  step('logout goes through the provider and back to the login page')
  await page.click('[data-test=user-menu]')
  await page.click('[data-test=logout]')
  await page.waitForURL((url) => !url.href.startsWith(base))
  // The provider asks whether to sign out there too.
  await page.locator('button[type=submit], button[autofocus]').first().click()
  await page.waitForURL(`${base}/login`)
  await page.locator('[data-test=sso-test]').waitFor()

  step('a refused sign-in shows why')
  await page.goto(`${base}/login?sso_error=${encodeURIComponent('the email domain "evil.example" may not sign in through test')}`)
  const alert = await page.locator('[data-test=sso-error]').innerText()
  if (!alert.includes('evil.example')) throw new Error(`alert says ${alert}`)

  step("the admin's Single sign-on tab lists the provider, never its secret")
  const admin = await newPage()
  await admin.goto(`${base}/login`)
  await admin.fill('input[name=username]', env('WINDFLOW_ADMIN_USER'))
  await admin.fill('input[name=password]', env('WINDFLOW_ADMIN_PASSWORD'))
  await admin.click('[data-test=login]')
  await admin.waitForURL(/\/o\/default/)
  await admin.goto(`${base}/o/default/admin?tab=sso`)
  await admin.locator('[data-test=sso-providers] >> text=Test IdP').waitFor()
  const html = await admin.content()
  if (html.includes(env('E2E_SSO_SECRET'))) throw new Error('the client secret is on the page')
  const mappings = await admin.locator('[data-test=sso-providers]').innerText()
  if (!mappings.includes('test')) throw new Error(`providers table: ${mappings}`)

  if (errors.length) throw new Error(errors.join('\n'))
  step('done')
} finally {
  await browser.close()
}
