// Passkeys end to end in Debian's headless Chromium with a virtual authenticator (the
// DevTools protocol's WebAuthn domain: CTAP2, resident keys, user verification):
//   1. E2E_USER logs in with a password and adds a passkey in Admin → Second factor (their
//      password again, then the authenticator);
//   2. a password login is now refused as "this account has a passkey";
//   3. "Sign in with a passkey" on the login page logs in with no password;
//   4. an assertion answered twice (a replayed ceremony) is refused the second time, and the
//      authenticator's signature counter moved.
// WebAuthn refuses IP addresses as relying parties, so the console is opened as `localhost`.
// Run with WINDFLOW_URL, E2E_USER, E2E_PASSWORD.
import { chromium } from 'playwright-core'

const env = (name) => {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}
const base = env('WINDFLOW_URL').replace('127.0.0.1', 'localhost')
const user = env('E2E_USER')
const password = env('E2E_PASSWORD')
const t0 = Date.now()
const step = (name) => console.log(`e2e passkeys [${((Date.now() - t0) / 1000).toFixed(1)} s]: ${name}`)

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
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } })
  const page = await context.newPage()
  page.setDefaultTimeout(30_000)
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`))
  page.on('response', (r) => {
    if (r.status() < 400) return
    const path = new URL(r.url()).pathname
    // Expected: the login page's session probe, the refused password login, the refused
    // replay, a stack's template link and the AI provider of an organization without one.
    const expected =
      (r.status() === 401 && /^\/api\/v1\/auth\/(session|login)$/.test(path)) ||
      (r.status() === 422 && path === '/api/v1/auth/passkeys/login/finish') ||
      (r.status() === 404 && /\/ai\/provider$/.test(path))
    if (!expected) errors.push(`answer: ${r.status()} ${r.request().method()} ${path}`)
  })
  const cdp = await context.newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  })

  step('log in with the password, add a passkey')
  await page.goto(`${base}/login`)
  await page.fill('input[name=username]', user)
  await page.fill('input[name=password]', password)
  await page.click('[data-test=login]')
  await page.waitForURL(/\/o\/default/)
  await page.goto(`${base}/o/default/admin?tab=security`)
  await page.fill('input[name=passkey-name]', 'virtual key')
  await page.fill('input[name=passkey-password]', password)
  await page.click('[data-test=add-passkey]')
  await page.locator('[data-test=passkey-list] td', { hasText: 'virtual key' }).waitFor()
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId })
  if (credentials.length !== 1 || credentials[0].rpId !== 'localhost') throw new Error(`the authenticator holds ${credentials.length} credential(s) for ${credentials.map((c) => c.rpId)}`)

  step('logged out: a password login is refused, the account has a passkey')
  await context.clearCookies()
  await page.goto(`${base}/login`)
  const refused = await page.evaluate(async ([u, p]) => {
    const r = await fetch('/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: p }) })
    return { status: r.status, body: await r.json() }
  }, [user, password])
  if (refused.status !== 401 || !/passkey/.test(refused.body.detail)) throw new Error(`the password login answered ${JSON.stringify(refused)}`)

  step('sign in with the passkey: no password')
  await page.fill('input[name=username]', user)
  await page.click('[data-test=login-passkey]')
  await page.waitForURL(/\/o\/default/)

  step('an assertion answered twice: the second is refused')
  const replay = await page.evaluate(async (u) => {
    const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
    const unb64 = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0)).buffer
    const post = (path, body) => fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const challenge = await (await post('/api/v1/auth/passkeys/login', { username: u })).json()
    const pk = challenge.options.publicKey
    const cred = await navigator.credentials.get({
      publicKey: { ...pk, challenge: unb64(pk.challenge), allowCredentials: pk.allowCredentials.map((c) => ({ ...c, id: unb64(c.id) })) },
    })
    const body = {
      ceremony: challenge.ceremony,
      credential: {
        id: cred.id, rawId: b64(cred.rawId), type: cred.type, extensions: {},
        response: { authenticatorData: b64(cred.response.authenticatorData), clientDataJSON: b64(cred.response.clientDataJSON), signature: b64(cred.response.signature), userHandle: cred.response.userHandle ? b64(cred.response.userHandle) : undefined },
      },
    }
    const first = await post('/api/v1/auth/passkeys/login/finish', body)
    const second = await post('/api/v1/auth/passkeys/login/finish', body)
    return { first: first.status, second: second.status, detail: (await second.json()).detail }
  }, user)
  if (replay.first !== 200 || replay.second !== 422 || !/already answered/.test(replay.detail)) throw new Error(`the replay answered ${JSON.stringify(replay)}`)
  const after = await cdp.send('WebAuthn.getCredentials', { authenticatorId })
  if (!(after.credentials[0].signCount >= 2)) throw new Error(`the signature counter reads ${after.credentials[0].signCount}`)
  if (errors.length) throw new Error(errors.join('\n'))
  step('done')
} finally {
  await browser.close()
}
