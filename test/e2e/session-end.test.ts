// How sessions end, and what atoauth says then: a replayed refresh token, a
// session past the server's 14-day limit, a session revoked elsewhere. Each
// marks the account as needing a new login (exit 3, "log in again: atoauth
// login <handle>"), later commands say so without a network call, `status`
// and `accounts` show it, and a new login clears it. `status` also warns in
// the last 3 days.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type StoredSession, setKeychainEntry, useE2E, withStaleAccessToken } from './harness.ts'

const e2e = useE2E({ loginAs: 'alice' })

const alice = () => e2e.sandbox.accounts.alice!

async function stored(): Promise<StoredSession> {
  const session = await e2e.storedSession(alice().did)
  expect(session).toBeDefined()
  return session!
}

/** Puts a session in the keychain with an expired access token: the next command refreshes. */
async function storeStale(session: StoredSession): Promise<void> {
  await setKeychainEntry(alice().did, JSON.stringify(withStaleAccessToken(session)))
}

async function expectNeedsLogin(reason: RegExp): Promise<void> {
  const accounts = JSON.parse((await e2e.run(['accounts', '--json'])).stdout).accounts
  expect(accounts).toEqual([
    expect.objectContaining({
      handle: 'alice.test',
      state: 'needs_login',
      reason: expect.stringMatching(reason),
    }),
  ])

  // Later commands fail at once, without a round trip.
  const from = e2e.sandbox.requests.length
  const again = await e2e.run(['whoami', '--json'])
  expect(again.code).toBe(3)
  expect(JSON.parse(again.stdout).error).toMatchObject({
    code: 'session_ended',
    hint: 'Log in again: atoauth login alice.test',
  })
  expect(e2e.sandbox.requests.length).toBe(from)

  const status = await e2e.run(['status', '--json'])
  expect(status.code).toBe(3)
  expect(JSON.parse(status.stdout)).toMatchObject({
    ok: false,
    accounts: [{ handle: 'alice.test', state: 'needs_login' }],
  })
  expect(status.stderr).toContain('Log in again: atoauth login alice.test')
}

async function logInAgain(): Promise<void> {
  const { cli } = await e2e.login('alice')
  expect(cli.code, cli.stderr).toBe(0)
  const status = await e2e.run(['status', '--json'])
  expect(status.code, status.stdout).toBe(0)
  expect(JSON.parse(status.stdout).accounts[0]).toMatchObject({ state: 'active' })
}

describe('when a session ends', () => {
  it('a replayed refresh token: the server revokes it, atoauth says why and marks the account', async () => {
    const copy = await stored()
    await storeStale(copy)
    expect((await e2e.run(['whoami'])).code).toBe(0) // rotates the refresh token

    // The old copy comes back (a restored backup, a second machine).
    await storeStale(copy)
    const replay = await e2e.run(['whoami'])
    expect(replay.code).toBe(3)
    expect(replay.stderr).toContain(
      'error: The session for alice.test has ended: its refresh token was used twice',
    )
    expect(replay.stderr).toContain('Log in again: atoauth login alice.test')
    await expectNeedsLogin(/used twice/)
    await logInAgain()
  })

  it('past the 14-day limit: the refresh is refused as expired', async () => {
    // Age the session at the server: its tokens were created 15 days ago.
    const fifteenDaysAgo = new Date(
      Date.now() - 15 * 86_400_000,
    ).toISOString() as `${string}T${string}Z`
    await e2e.sandbox.pds.ctx.accountManager.db.db
      .updateTable('token')
      .set({ createdAt: fifteenDaysAgo })
      .where('did', '=', alice().did as `did:${string}:${string}`)
      .execute()
    await storeStale(await stored())

    const post = await e2e.run(['post', 'too late', '--json'])
    expect(post.code).toBe(3)
    expect(JSON.parse(post.stdout).error.message).toBe(
      'The session for alice.test has ended: it reached the 14-day limit the server sets for sessions of public clients like atoauth.',
    )
    await expectNeedsLogin(/14-day limit/)
    await logInAgain()
  })

  it('revoked elsewhere: the PDS refuses the token, the refresh too', async () => {
    // Another holder of the same session logs out (it revokes at the server).
    const copy = await stored()
    const elsewhere = await e2e.run(
      ['logout', '--json'],
      e2e.env({ ATOAUTH_SESSION: e2e.blobFor('alice', copy) }),
    )
    expect(elsewhere.code, elsewhere.stdout).toBe(0)

    const api = await e2e.run(['api', 'com.atproto.server.getSession', '--json'])
    expect(api.code).toBe(3)
    expect(JSON.parse(api.stdout).error.code).toBe('session_ended')
    await expectNeedsLogin(/.+/)
    await logInAgain()
  })
})

describe('status', () => {
  async function setLoginAt(daysAgo: number): Promise<void> {
    const path = join(e2e.configDir, 'accounts.json')
    const index = JSON.parse(await readFile(path, 'utf8'))
    index.accounts[0].loginAt = new Date(Date.now() - daysAgo * 86_400_000).toISOString()
    await writeFile(path, JSON.stringify(index))
  }

  it('shows the session age and end, and warns in the last 3 days', async () => {
    const fresh = await e2e.run(['status'])
    expect(fresh.code).toBe(0)
    expect(fresh.stdout).toMatch(
      /^\* alice\.test {2}active {7}logged in \d+ s ago, ends in 13 d 23 h/,
    )
    expect(fresh.stderr).toBe('')

    await setLoginAt(12)
    const soon = await e2e.run(['status', '--json'])
    expect(soon.code).toBe(0)
    const [account] = JSON.parse(soon.stdout).accounts
    expect(account).toMatchObject({ handle: 'alice.test', state: 'ending_soon', default: true })
    expect(account.remainingSeconds).toBeGreaterThan(1.9 * 86_400)
    expect(account.remainingSeconds).toBeLessThanOrEqual(2 * 86_400)
    expect(account.sessionAgeSeconds).toBeGreaterThanOrEqual(12 * 86_400)
    expect(soon.stderr).toMatch(
      /warning: the session of alice\.test ends in 1 d 23 h .*log in again before then: atoauth login alice\.test/,
    )
  })

  it('a session past 14 days by the clock is reported ended, exit 3', async () => {
    await setLoginAt(15)
    const ended = await e2e.run(['status'])
    expect(ended.code).toBe(3)
    expect(ended.stdout).toMatch(/alice\.test {2}needs login {2}it reached the 14-day limit/)
    await logInAgain()
  })
})
