// Second factors end to end, in Debian's headless Chromium (playwright-core). The Rust test
// (crates/cli/tests/server/factors_console.rs) has made the organization require a second
// factor from every member and created E2E_USER. Here:
//   - E2E_USER logs in with the password: the router sends them to the "Second factor" tab,
//     which says the organization requires one;
//   - they set up TOTP: the QR code shows, the key is read from the page, a code computed
//     here (RFC 6238 with node:crypto) confirms it, the recovery codes show once;
//   - they log out and in again: the login asks for the code after the password, and a code
//     of the next step logs them in, into the organization's pages (no banner any more).
// Run with WINDFLOW_URL, E2E_USER, E2E_PASSWORD.
import { chromium } from 'playwright-core'
import { createHmac } from 'node:crypto'

const env = (name) => {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}
const base = env('WINDFLOW_URL')
const user = env('E2E_USER')
const password = env('E2E_PASSWORD')
const t0 = Date.now()
const step = (name) => console.log(`e2e factors [${((Date.now() - t0) / 1000).toFixed(1)} s]: ${name}`)

/** RFC 4648 base32, as the server shows the key. */
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = 0
  let value = 0
  const out = []
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c)
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of the step `steps` away from now. */
function totp(secret, steps = 0) {
  const counter = Math.floor(Date.now() / 1000 / 30) + steps
  const message = Buffer.alloc(8)
  message.writeBigUInt64BE(BigInt(counter))
  const mac = createHmac('sha1', base32(secret)).update(message).digest()
  const offset = mac[mac.length - 1] & 15
  const number = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000
  return String(number).padStart(6, '0')
}

/** Waits until the current step has at least 6 s left. */
async function earlyInStep() {
  const into = Math.floor(Date.now() / 1000) % 30
  if (into >= 24) await new Promise((r) => setTimeout(r, (30 - into) * 1000))
}

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ARGS, headless: true, timeout: 60_000 })
const errors = []
let failed = false
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } })
  const page = await context.newPage()
  page.setDefaultTimeout(30_000)
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`))

  step('log in with the password')
  await page.goto(`${base}/login`)
  await page.fill('input[name=username]', user)
  await page.fill('input[name=password]', password)
  await page.click('[data-test=login]')
  await page.waitForURL(/\/o\/default\/admin\?tab=security/)
  await page.locator('[data-test=enrolment-required]').waitFor()

  step('set up TOTP')
  await page.fill('input[name=enrol-password]', password)
  await page.click('[data-test=start-totp]')
  await page.locator('[data-test=qr]').waitFor()
  const secret = (await page.locator('[data-test=totp-secret]').innerText()).trim()
  if (!/^[A-Z2-7]{32}$/.test(secret)) throw new Error(`unexpected key ${secret}`)
  await earlyInStep()
  await page.fill('input[name=confirm-code]', totp(secret))
  await page.click('[data-test=confirm-totp]')
  const codes = (await page.locator('[data-test=recovery-codes]').innerText()).trim().split('\n')
  if (codes.length !== 10) throw new Error(`expected 10 recovery codes, got ${codes.length}`)
  await page.click('[data-test=codes-saved]')
  await page.locator('[data-test=totp-enabled]').waitFor()
  if (await page.locator('[data-test=recovery-codes]').count()) throw new Error('the recovery codes are still shown')
  if (await page.locator('[data-test=enrolment-required]').count()) throw new Error('the organization still asks for enrolment')

  step('log out, log in with a code')
  await context.clearCookies()
  await page.goto(`${base}/login`)
  await page.fill('input[name=username]', user)
  await page.fill('input[name=password]', password)
  await page.click('[data-test=login]')
  await page.locator('input[name=code]').waitFor()
  await page.fill('input[name=code]', totp(secret, 1))
  await page.click('[data-test=login]')
  await page.waitForURL(/\/o\/default(\/)?$/)
  if (await page.locator('[data-test=enrol-banner]').count()) throw new Error('the enrolment banner still shows')
  step('done')
} catch (e) {
  failed = true
  console.error(e)
} finally {
  await browser.close()
}
if (errors.length) {
  console.error(errors.join('\n'))
  failed = true
}
process.exit(failed ? 1 : 0)
