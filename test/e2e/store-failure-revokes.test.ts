// When the new session cannot be kept at the end of a login, after the code
// exchange, atoauth revokes it at the server rather than leave a live session
// nobody can find or end, and both the browser page and the terminal say so.
// Storing fails for real, once the keychain probe has passed and the URL is
// out: the keyring gets locked, or the account index cannot be written. The
// server itself is asked whether it still holds the session.
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { ConsentOutcome } from '../support/consent-browser.ts'
import { PrivateBus } from '../support/secret-service.ts'
import { useE2E } from './harness.ts'

const e2e = useE2E()

let bus: PrivateBus | undefined
afterEach(async () => {
  await bus?.close()
  bus = undefined
})

/**
 * Starts `login alice.test`, lets `breakStoring` run once the URL is printed
 * (so after the keychain probe), then signs in and consents in a browser that
 * reaches the callback. Returns what both sides saw and the tokens the server
 * issued meanwhile.
 */
async function loginThatCannotStore(
  breakStoring: () => Promise<void>,
  env: Record<string, string | undefined> = {},
) {
  const issuedBefore = e2e.sandbox.issuedTokens.length
  const live = e2e.start(
    ['login', 'alice.test', '--no-browser', '--timeout', '60', '--json'],
    e2e.env(env),
  )
  const [url] = await live.waitFor(/http:\/\/localhost:\d+\/oauth\/authorize\?\S+/)
  await breakStoring()
  const browser = await e2e.browseElsewhere(url, 'alice', { tunnel: true })
  const cli = await live.done
  const issued = e2e.sandbox.issuedTokens.slice(issuedBefore)
  return { cli, browser, issued, error: JSON.parse(cli.stdout).error }
}

/** The code exchange happened, and the server no longer holds what it issued. */
async function expectRevokedAtServer(issued: string[]): Promise<void> {
  // An access token and a refresh token.
  expect(issued).toHaveLength(2)
  for (const token of issued) expect(await e2e.sandbox.sessionAtServer(token)).toBe(false)
}

/** The terminal says the session was revoked, and the browser page says what the terminal says. */
function expectToldBothSides(message: string, browser: ConsentOutcome): void {
  expect(message).toMatch(/revoked at the server/)
  expect(browser).toMatchObject({ ok: true, title: 'Login failed' })
  expect(browser.status).toBeGreaterThanOrEqual(400)
  expect(browser.detail).toContain(message)
}

describe('a login whose session cannot be kept', () => {
  it('is revoked at the server when the keyring is locked before storing: exit 5', async () => {
    bus = await PrivateBus.start()
    await bus.startGnomeKeyring()
    const running = bus
    const { cli, browser, issued, error } = await loginThatCannotStore(
      () => running.lockKeyring(),
      bus.env(),
    )

    await expectRevokedAtServer(issued)
    expect(cli.code, cli.stdout).toBe(5)
    expect(error).toMatchObject({ code: 'keychain_unavailable', reason: 'locked' })
    expectToldBothSides(error.message, browser)
    expect(await bus.keychainEntry(e2e.sandbox.accounts.alice!.did)).toBeUndefined()
  })

  it('is revoked at the server when the account index cannot be written', async () => {
    // A directory where accounts.json goes: neither read nor replaced, even by root.
    const index = join(e2e.configDir, 'accounts.json')
    try {
      const { cli, browser, issued, error } = await loginThatCannotStore(() =>
        mkdir(index, { recursive: true }).then(() => {}),
      )
      await expectRevokedAtServer(issued)
      expect(cli.code, cli.stdout).toBe(5)
      expect(error).toMatchObject({ code: 'store_failed' })
      expect(error.message).toContain('EISDIR')
      expectToldBothSides(error.message, browser)
    } finally {
      await rm(index, { recursive: true, force: true })
    }
  })
})
