// logout's run function with fake dependencies: the session is revoked
// through the library's client and forgotten here, even when the server
// cannot be reached.
import type { NodeOAuthClient } from '@atproto/oauth-client-node'
import { describe, expect, it } from 'vitest'
import type { OAuthClientOptions } from '../../src/auth/client.ts'
import { runLogout } from '../../src/commands/logout.ts'
import { ALICE, FakeAccounts, fakeContext } from '../support/fake-context.ts'

const BOB = { ...ALICE, did: 'did:plc:bob00000000000000000000', handle: 'bob.test' }

function setup(revoke: (did: string) => Promise<void>) {
  const accounts = new FakeAccounts([ALICE, BOB])
  const revoked: string[] = []
  const fake = fakeContext({
    accounts,
    oauthClient: async (options: OAuthClientOptions) => {
      // The client is built for the account's own client_id.
      expect(options.clientMetadata.client_id).toBe(ALICE.clientId)
      return {
        revoke: async (did: string) => {
          revoked.push(did)
          await revoke(did)
        },
      } as unknown as NodeOAuthClient
    },
  })
  return { ...fake, accounts, revoked }
}

describe('logout', () => {
  it('revokes the default account at the server, then forgets it', async () => {
    const { ctx, accounts, revoked } = setup(async () => {})
    const result = await runLogout({ account: undefined, all: false }, ctx)
    expect(revoked).toEqual([ALICE.did])
    expect(accounts.changes).toEqual([`forget ${ALICE.did}`])
    expect(result.data).toEqual({ did: ALICE.did, handle: ALICE.handle, revoked: true })
  })

  it('--all ends every account', async () => {
    const { ctx, accounts, revoked } = setup(async () => {})
    const result = await runLogout({ account: undefined, all: true }, ctx)
    expect(revoked).toEqual([ALICE.did, BOB.did])
    expect(accounts.records).toEqual([])
    expect((result.data.accounts as unknown[]).length).toBe(2)
  })

  it('a server that cannot be reached does not keep the session here, and says so', async () => {
    const { ctx, accounts, stderr } = setup(async () => {
      throw new TypeError('fetch failed')
    })
    const result = await runLogout({ account: BOB.handle, all: false }, ctx)
    expect(result.data).toEqual({ did: BOB.did, handle: BOB.handle, revoked: false })
    expect(accounts.changes).toEqual([`forget ${BOB.did}`])
    expect(accounts.secrets.log).toContain(`delete ${BOB.did}`)
    expect(stderr()).toMatch(/could not revoke the session of bob\.test .*fetch failed/)
  })

  it('an account and --all together is a usage error, before anything is revoked', async () => {
    const { ctx, revoked } = setup(async () => {})
    await expect(runLogout({ account: 'bob.test', all: true }, ctx)).rejects.toMatchObject({
      exitCode: 2,
    })
    expect(revoked).toEqual([])
  })
})
