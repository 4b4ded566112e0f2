// Many accounts on one machine: a second login keeps the first, `accounts`
// lists them with the default marked, `switch`, --account and ATOAUTH_ACCOUNT
// choose one, and `logout --all` ends every session at the server.
import { describe, expect, it } from 'vitest'
import { insecureSessionFile, keychainEntry, listFiles, useE2E } from './harness.ts'

const e2e = useE2E()

describe('several accounts', () => {
  const alice = () => e2e.sandbox.accounts.alice!
  const bob = () => e2e.sandbox.accounts.bob!

  async function whoamiDid(args: string[] = [], env = e2e.env()): Promise<string> {
    const { code, stdout, stderr } = await e2e.run(['whoami', '--json', ...args], env)
    expect(code, stderr).toBe(0)
    return JSON.parse(stdout).did
  }

  it('a second login keeps the first, and becomes the default', async () => {
    expect((await e2e.login('alice')).cli.code).toBe(0)
    expect((await e2e.login('bob')).cli.code).toBe(0)

    const { code, stdout, stderr } = await e2e.run(['accounts', '--json'])
    expect(code, stderr).toBe(0)
    const { accounts } = JSON.parse(stdout)
    expect(accounts).toEqual([
      expect.objectContaining({ did: alice().did, handle: 'alice.test', default: false }),
      expect.objectContaining({ did: bob().did, handle: 'bob.test', default: true }),
    ])
    expect(accounts[0]).toMatchObject({ store: 'keychain', pds: `${e2e.sandbox.pdsUrl}/` })
    expect(Date.parse(accounts[0].sessionExpiresAt) - Date.parse(accounts[0].loginAt)).toBe(
      14 * 24 * 3600 * 1000,
    )
    // Both sessions are live.
    expect(await whoamiDid()).toBe(bob().did)
    expect(await whoamiDid(['--account', 'alice.test'])).toBe(alice().did)
  })

  it('accounts in text form marks the default with *', async () => {
    const { code, stdout } = await e2e.run(['accounts'])
    expect(code).toBe(0)
    const lines = stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(new RegExp(`^  alice\\.test +${alice().did} `))
    expect(lines[1]).toMatch(new RegExp(`^\\* bob\\.test +${bob().did} `))
  })

  it('switch changes the default account', async () => {
    const { code, stdout, stderr } = await e2e.run(['switch', '@Alice.test', '--json'])
    expect(code, stderr).toBe(0)
    expect(JSON.parse(stdout)).toEqual({ did: alice().did, handle: 'alice.test' })
    expect(await whoamiDid()).toBe(alice().did)
    const { accounts } = JSON.parse((await e2e.run(['accounts', '--json'])).stdout)
    expect(accounts.find((a: { default: boolean }) => a.default).did).toBe(alice().did)
  })

  it('--account and ATOAUTH_ACCOUNT pick an account for one command; the flag wins', async () => {
    expect(await whoamiDid(['--account', bob().did])).toBe(bob().did)
    expect(await whoamiDid([], e2e.env({ ATOAUTH_ACCOUNT: 'bob.test' }))).toBe(bob().did)
    expect(
      await whoamiDid(['--account', 'alice.test'], e2e.env({ ATOAUTH_ACCOUNT: 'bob.test' })),
    ).toBe(alice().did)
    // The default did not move.
    expect(await whoamiDid()).toBe(alice().did)
  })

  it('logging in again to the same account revokes the session it replaces', async () => {
    const before = await e2e.storedSession(alice().did)
    const { cli } = await e2e.login('alice')
    expect(cli.code, cli.stderr).toBe(0)
    const after = await e2e.storedSession(alice().did)
    expect(after!.tokenSet.refresh_token).not.toBe(before!.tokenSet.refresh_token)

    const replay = await e2e.run(
      ['whoami', '--json'],
      e2e.env({ ATOAUTH_SESSION: e2e.blobFor('alice', before!) }),
    )
    expect(replay.code, replay.stdout).toBe(3)
    expect(await whoamiDid()).toBe(alice().did)
    const { accounts } = JSON.parse((await e2e.run(['accounts', '--json'])).stdout)
    expect(accounts).toHaveLength(2)
  })

  it('switch to an account that is not logged in exits 3 and changes nothing', async () => {
    const { code, stdout } = await e2e.run(['switch', 'carol.test', '--json'])
    expect(code).toBe(3)
    expect(JSON.parse(stdout).error).toMatchObject({
      code: 'not_logged_in',
      message: 'No account carol.test is logged in.',
    })
    expect(await whoamiDid()).toBe(alice().did)
  })

  it('logging in again into the other store ends and deletes the old session', async () => {
    const before = await e2e.storedSession(bob().did)
    expect(before).toBeDefined()
    const { cli } = await e2e.login('bob', { args: ['--insecure-storage'] })
    expect(cli.code, cli.stderr).toBe(0)
    expect(await keychainEntry(bob().did)).toBeUndefined()
    const { accounts } = JSON.parse((await e2e.run(['accounts', '--json'])).stdout)
    expect(accounts.find((a: { did: string }) => a.did === bob().did).store).toBe('file')

    // The old session was revoked at the server, not only forgotten: a copy is refused.
    const replay = await e2e.run(
      ['whoami', '--json'],
      e2e.env({ ATOAUTH_SESSION: e2e.blobFor('bob', before!) }),
    )
    expect(replay.code, replay.stdout).toBe(3)
    expect(JSON.parse(replay.stdout).error.code).toBe('session_ended')
    // The new one works.
    expect(await whoamiDid(['--account', 'bob.test'])).toBe(bob().did)
  })

  it('logout --all revokes every session and forgets every account', async () => {
    const { code, stdout, stderr } = await e2e.run(['logout', '--all', '--json'])
    expect(code, stderr).toBe(0)
    const { accounts } = JSON.parse(stdout)
    expect(accounts).toEqual(
      expect.arrayContaining([
        { did: alice().did, handle: 'alice.test', revoked: true },
        { did: bob().did, handle: 'bob.test', revoked: true },
      ]),
    )
    expect(await keychainEntry(alice().did)).toBeUndefined()
    expect(await listFiles(`${e2e.configDir}/insecure-sessions`)).not.toContain(
      insecureSessionFile(e2e.configDir, bob().did).split('/').pop(),
    )
    expect(JSON.parse((await e2e.run(['accounts', '--json'])).stdout)).toEqual({ accounts: [] })
    expect((await e2e.run(['whoami'])).code).toBe(3)
  })
})
