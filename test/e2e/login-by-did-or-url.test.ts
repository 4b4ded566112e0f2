// `atoauth login` also takes a DID (the PLC directory names the PDS) or the
// PDS's URL (the authorization server then asks who signs in). Each one ends
// like a login by handle: the right account logged in, recorded, and holding a
// session the server knows.
import { describe, expect, it } from 'vitest'
import { useE2E } from './harness.ts'

const e2e = useE2E()

/** `name` is logged in and recorded; `defaultName` is the default account. */
async function expectLoggedIn(name: string, defaultName: string): Promise<void> {
  const account = e2e.sandbox.accounts[name]!
  const expected = {
    did: account.did,
    handle: account.handle,
    pds: `${e2e.sandbox.pdsUrl}/`,
    store: 'keychain',
  }
  const whoami = await e2e.run(['whoami', '--account', account.handle, '--json'])
  expect(whoami.code, whoami.stderr).toBe(0)
  expect(JSON.parse(whoami.stdout)).toMatchObject(expected)

  const accounts = await e2e.run(['accounts', '--json'])
  expect(accounts.code, accounts.stderr).toBe(0)
  expect(JSON.parse(accounts.stdout).accounts).toContainEqual(
    expect.objectContaining({ ...expected, default: name === defaultName }),
  )

  // The session kept is one the server issued and still holds.
  const stored = await e2e.storedSession(account.did)
  expect(stored?.tokenSet.sub).toBe(account.did)
  expect(await e2e.sandbox.sessionAtServer(stored!.tokenSet.refresh_token!)).toBe(true)
}

describe('login without a handle', () => {
  it('by DID: the DID document leads to the PDS, and alice is logged in', async () => {
    const alice = e2e.sandbox.accounts.alice!
    const { cli, browser } = await e2e.login('alice', { identifier: alice.did, args: ['--json'] })
    expect(cli.code, cli.stderr).toBe(0)
    expect(JSON.parse(cli.stdout)).toMatchObject({ did: alice.did, handle: 'alice.test' })
    expect(browser).toMatchObject({ ok: true, status: 200, title: 'Logged in' })
    // The server knew whom to ask for: no step where the person names the account.
    expect(browser.steps).not.toContain('named the account')
    await expectLoggedIn('alice', 'alice')
  })

  it('by PDS URL: the person names the account at the server, and bob is logged in beside alice', async () => {
    const bob = e2e.sandbox.accounts.bob!
    const { cli, browser } = await e2e.login('bob', { identifier: e2e.sandbox.pdsUrl })
    expect(cli.code, cli.stderr).toBe(0)
    expect(cli.stdout).toContain(`Logged in as bob.test (${bob.did})`)
    expect(browser).toMatchObject({ ok: true, status: 200, title: 'Logged in' })
    expect(browser.steps).toContain('named the account')
    await expectLoggedIn('bob', 'bob')
    await expectLoggedIn('alice', 'bob')
  })
})
