// A stand-in for the person at the browser: ATOAUTH_BROWSER points here, so
// `atoauth login` hands it the authorization URL. It drives headless Chromium
// through the PDS's real sign-in and consent pages, then records what the
// loopback callback page said. Run directly by Node (type stripping).
//
// Environment:
//   CONSENT_PASSWORD   the account's password
//   CONSENT_IDENTIFIER the account's handle, for a server that asks for it
//   CONSENT_ACTION     "allow" (default) or "deny"
//   CONSENT_LOG        a file to write the outcome to, as JSON
//   CONSENT_REMOTE     "1": play a browser on another machine, which cannot
//                      reach the loopback listener; record the redirect URL
//                      it ended on instead (for the paste fallback)
import { writeFileSync } from 'node:fs'
import { chromium } from 'playwright-core'

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * A browser on another machine reaches the PDS (here: localhost) but not this
 * machine's 127.0.0.1: send 127.0.0.1 through a proxy that is not there.
 * `<-loopback>` lifts Chromium's implicit loopback bypass (it must come first).
 */
const ELSEWHERE_FLAGS = [
  '--proxy-server=http://127.0.0.1:9',
  '--proxy-bypass-list=<-loopback>;localhost',
]

export type ConsentOutcome = {
  ok: boolean
  /** The callback page's heading and detail, when the browser got there. */
  title?: string
  detail?: string
  status?: number
  /** When the browser asked for the callback (ms since the epoch): where the CLI takes over again. */
  callbackRequestedAt?: number
  /** CONSENT_REMOTE: the callback URL the browser was sent to and could not load. */
  redirectUrl?: string
  steps: string[]
  error?: string
}

async function main(url: string): Promise<ConsentOutcome> {
  const steps: string[] = []
  const action = process.env.CONSENT_ACTION ?? 'allow'
  const remote = process.env.CONSENT_REMOTE === '1'
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: remote ? [...CHROMIUM_FLAGS, ...ELSEWHERE_FLAGS] : CHROMIUM_FLAGS,
    headless: true,
  })
  try {
    const context = await browser.newContext({ locale: 'en-US' })
    const loopback = /^http:\/\/127\.0\.0\.1:\d+\//
    const page = await context.newPage()
    page.setDefaultTimeout(20_000)
    let callbackStatus: number | undefined
    let callbackRequestedAt: number | undefined
    page.on('request', (req) => {
      if (loopback.test(req.url())) callbackRequestedAt ??= Date.now()
    })
    page.on('response', (res) => {
      if (res.url().startsWith('http://127.0.0.1:')) callbackStatus = res.status()
    })
    await page.goto(url)
    steps.push(`opened ${new URL(url).origin}`)

    const password = page.locator('input[name="password"]')
    const consent = page.getByRole('button', { name: /^(authorize|accept)$/i })
    const signIn = page.getByRole('button', { name: /^sign in$/i })
    await password.or(consent).or(signIn).first().waitFor()
    // Without a login hint (a login by PDS URL) the server first asks who signs in.
    if (!(await password.isVisible()) && !(await consent.isVisible())) {
      await signIn.click()
      await page.locator('input[name="username"]').fill(process.env.CONSENT_IDENTIFIER ?? '')
      steps.push('named the account')
    }
    if (await password.isVisible()) {
      await password.fill(process.env.CONSENT_PASSWORD ?? '')
      await page.getByRole('button', { name: /^sign in$/i }).click()
      steps.push('signed in')
    }

    const callback = remote
      ? page.waitForRequest(loopback, { timeout: 20_000 })
      : page.waitForURL(loopback, { timeout: 20_000 })
    if (action === 'deny') {
      await page.getByRole('button', { name: /^(deny access|deny|decline)$/i }).click()
      steps.push('denied')
    } else {
      await consent.click()
      steps.push('authorized')
    }
    const reached = await callback
    if (remote && reached) {
      steps.push('redirect captured')
      return { ok: true, redirectUrl: reached.url(), steps }
    }
    const title = (await page.locator('#outcome').textContent()) ?? undefined
    const detail = (await page.locator('#detail').textContent()) ?? undefined
    steps.push('reached callback')
    return { ok: true, title, detail, status: callbackStatus, callbackRequestedAt, steps }
  } catch (err) {
    return { ok: false, steps, error: err instanceof Error ? err.message : String(err) }
  } finally {
    await browser.close()
  }
}

const url = process.argv[2]
if (!url) {
  console.error('usage: consent-browser.ts <authorization url>')
  process.exit(2)
}
const outcome = await main(url)
if (process.env.CONSENT_LOG) writeFileSync(process.env.CONSENT_LOG, JSON.stringify(outcome))
process.exit(outcome.ok ? 0 : 1)
