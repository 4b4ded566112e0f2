// whoami's run function with fake dependencies: what it asks for, what it
// reports, and how it treats the server's answers.
import type { NodeOAuthClient } from '@atproto/oauth-client-node'
import { describe, expect, it } from 'vitest'
import type { OAuthClientOptions } from '../../src/auth/client.ts'
import type { XrpcAnswer, XrpcRequest } from '../../src/auth/session.ts'
import { runWhoami } from '../../src/commands/whoami.ts'
import { ALICE, FakeAccounts, fakeContext } from '../support/fake-context.ts'

const BOB_DID = 'did:plc:bob00000000000000000000'

const token = {
  aud: 'https://pds.example.com/',
  scope: 'atproto transition:generic',
  expiresAt: new Date('2026-12-02T12:30:00.000Z'),
}

function answer(status: number, body: unknown): XrpcAnswer {
  return {
    status,
    statusText: status === 200 ? 'OK' : 'Unauthorized',
    ok: status >= 200 && status < 300,
    contentType: 'application/json',
    bytes: Buffer.from(JSON.stringify(body)),
    token,
  }
}

/** What the library's identity resolver answers for a handle (handle → DID → DID document). */
type Identity = (handle: string) => Promise<{ did: string; handle: string }>

function setup(reply: XrpcAnswer, identity?: Identity) {
  const requests: XrpcRequest[] = []
  const resolved: string[] = []
  const accounts = new FakeAccounts([ALICE])
  const fake = fakeContext({
    accounts,
    xrpc: async (resolved) => {
      expect(resolved.account.did).toBe(ALICE.did)
      return async (request) => {
        requests.push(request)
        return reply
      }
    },
    // Without `identity`, building the library's client fails the test: nothing may be resolved.
    ...(identity
      ? {
          oauthClient: async (options: OAuthClientOptions) => {
            // The client is the account's own, built with atoauth's settings.
            expect(options.clientMetadata.client_id).toBe(ALICE.clientId)
            const resolve = (handle: string, options?: { noCache?: boolean }) => {
              resolved.push(handle)
              expect(options?.noCache).toBe(true)
              return identity(handle)
            }
            return { identityResolver: { resolve } } as unknown as NodeOAuthClient
          },
        }
      : {}),
  })
  return { ...fake, requests, accounts, resolved }
}

/** The library's answer when the handle resolves to `did` and its document lists the handle. */
const resolvesTo =
  (did: string): Identity =>
  async (handle) => ({ did, handle: handle.toLowerCase() })

describe('whoami', () => {
  it('asks the PDS for the session once and reports the account, its token and its store', async () => {
    const { ctx, requests } = setup(answer(200, { did: ALICE.did, handle: ALICE.handle }))
    const result = await runWhoami(ctx)
    expect(requests).toEqual([{ method: 'GET', path: '/xrpc/com.atproto.server.getSession' }])
    expect(result.data).toEqual({
      did: ALICE.did,
      handle: ALICE.handle,
      pds: token.aud,
      scope: token.scope,
      scopes: ['atproto', 'transition:generic'],
      preset: 'full',
      accessTokenExpiresAt: '2026-12-02T12:30:00.000Z',
      sessionExpiresAt: '2026-12-15T10:00:00.000Z',
      loginAt: ALICE.loginAt,
      clientId: ALICE.clientId,
      store: 'keychain',
    })
    expect(result.text[0]).toBe(`${ALICE.handle} (${ALICE.did})`)
  })

  it.each([
    ['atproto repo:app.bsky.feed.post?action=create blob:image/*', 'post', ' (preset post)'],
    [
      'atproto repo:app.bsky.feed.post?action=create blob:image/* repo:app.bsky.feed.post?action=delete',
      'post,delete',
      ' (preset post,delete)',
    ],
    ['atproto repo:app.bsky.feed.post?action=create', null, ''],
  ])(
    'shows the granted scopes %s and the presets they are made of',
    async (scope, preset, label) => {
      const reply = answer(200, { did: ALICE.did, handle: ALICE.handle })
      const { ctx } = setup({ ...reply, token: { ...token, scope } })
      const result = await runWhoami(ctx)
      expect(result.data).toMatchObject({ scope, scopes: scope.split(' '), preset })
      expect(result.text).toContain(`  scopes:        ${scope}${label}`)
    },
  )

  it('an unchanged handle (case aside) is not resolved: the library is not even loaded', async () => {
    const { ctx, accounts, requests } = setup(answer(200, { did: ALICE.did, handle: 'Alice.TEST' }))
    const result = await runWhoami(ctx)
    expect(requests).toHaveLength(1)
    expect(result.data.handle).toBe(ALICE.handle)
    expect(result.data).not.toHaveProperty('claimedHandle')
    expect(accounts.changes).toEqual([])
  })

  it('records a handle that changed since login once it resolves to the account both ways', async () => {
    const { ctx, accounts, resolved, stderr } = setup(
      answer(200, { did: ALICE.did, handle: 'Alice.New.test' }),
      resolvesTo(ALICE.did),
    )
    const result = await runWhoami(ctx)
    expect(resolved).toEqual(['Alice.New.test'])
    expect(result.data.handle).toBe('alice.new.test')
    expect(result.data).not.toHaveProperty('claimedHandle')
    expect(result.text[0]).toBe(`alice.new.test (${ALICE.did})`)
    expect(accounts.changes).toEqual([`renamed ${ALICE.did} alice.new.test`])
    expect(stderr()).toBe('')
  })

  it('a handle the PDS claims that resolves to another account is not recorded, and says so', async () => {
    // A PDS hosting one of a person's accounts names the handle of their other account.
    const { ctx, accounts, stderr } = setup(
      answer(200, { did: ALICE.did, handle: 'bob.test' }),
      resolvesTo(BOB_DID),
    )
    const result = await runWhoami(ctx)
    expect(accounts.changes).toEqual([])
    expect(result.data).toMatchObject({
      did: ALICE.did,
      handle: ALICE.handle,
      claimedHandle: 'bob.test',
    })
    expect(result.text[0]).toBe(`${ALICE.handle} (${ALICE.did})`)
    expect(result.text).toContain('  PDS claims:    bob.test (not verified, not recorded)')
    expect(stderr()).toMatch(
      /^warning: the PDS reports the handle bob\.test .*resolves to another account \(did:plc:bob0+\).*not recorded/m,
    )
  })

  it('a claimed handle whose DID document does not list it is not recorded', async () => {
    const { ctx, accounts, stderr } = setup(
      answer(200, { did: ALICE.did, handle: 'mallory.test' }),
      async () => {
        throw new Error(
          'Did document for "did:plc:alice" does not include the handle "mallory.test"',
        )
      },
    )
    const result = await runWhoami(ctx)
    expect(accounts.changes).toEqual([])
    expect(result.data).toMatchObject({ handle: ALICE.handle, claimedHandle: 'mallory.test' })
    expect(stderr()).toContain('does not include the handle')
    expect(stderr()).toContain(`still ${ALICE.handle}`)
  })

  it('a claimed "handle" that is no handle is neither resolved nor recorded, and shown sanitised', async () => {
    const claimed = 'x.test$(touch pwned)\u001b[2J'
    const { ctx, accounts, resolved, stderr } = setup(
      answer(200, { did: ALICE.did, handle: claimed }),
      resolvesTo(ALICE.did),
    )
    const result = await runWhoami(ctx)
    expect(resolved).toEqual([])
    expect(accounts.changes).toEqual([])
    expect(result.data.handle).toBe(ALICE.handle)
    expect(stderr()).toContain('is not a valid handle')
    expect(stderr()).not.toContain('\u001b')
  })

  it("a claimed handle with line breaks cannot fake whoami's own lines", async () => {
    const claimed = 'x.test\n  PDS:           https://evil.example\r\n  stored in:     OS keychain'
    const { ctx } = setup(answer(200, { did: ALICE.did, handle: claimed }), resolvesTo(ALICE.did))
    const result = await runWhoami(ctx)
    const claimLine = result.text.find((line) => line.startsWith('  PDS claims:'))
    expect(claimLine).toBeDefined()
    expect(claimLine).not.toMatch(/[\r\n]/)
    expect(result.text.filter((line) => line.startsWith('  PDS:'))).toHaveLength(1)
  })

  it('a verified rename that takes a handle another record held says that record lost it', async () => {
    const { ctx, accounts, stderr } = setup(
      answer(200, { did: ALICE.did, handle: 'bob.test' }),
      resolvesTo(ALICE.did),
    )
    accounts.renamed = async (did, handle) => {
      accounts.changes.push(`renamed ${did} ${handle}`)
      return [BOB_DID]
    }
    const result = await runWhoami(ctx)
    expect(result.data.handle).toBe('bob.test')
    expect(accounts.changes).toEqual([`renamed ${ALICE.did} bob.test`])
    expect(stderr()).toContain(`bob.test now belongs to ${ALICE.did}`)
    expect(stderr()).toContain(BOB_DID)
  })

  it('an exported session shows a verified new handle but records nothing', async () => {
    const { ctx, accounts } = setup(
      answer(200, { did: ALICE.did, handle: 'alice.new.test' }),
      resolvesTo(ALICE.did),
    )
    const resolve = accounts.resolve.bind(accounts)
    accounts.resolve = async () => ({ ...(await resolve()), storage: 'session-env' })
    const result = await runWhoami(ctx)
    expect(result.data).toMatchObject({ handle: 'alice.new.test', store: 'session-env' })
    expect(accounts.changes).toEqual([])
  })

  it('a getSession answer for another DID is an error (exit 1), and nothing is recorded', async () => {
    const { ctx, accounts } = setup(answer(200, { did: BOB_DID, handle: 'bob.test' }))
    const failure = await runWhoami(ctx).catch((err: unknown) => err)
    expect(failure).toMatchObject({
      code: 'session_mismatch',
      exitCode: 1,
      message: expect.stringContaining(BOB_DID),
      details: { did: ALICE.did, reportedDid: BOB_DID },
    })
    expect(accounts.changes).toEqual([])
  })

  it('a 401 the library did not call the end of the session is that request failing (exit 4), not "log in again"', async () => {
    const { ctx, accounts } = setup(
      answer(401, { error: 'InvalidToken', message: 'Bad token scope' }),
    )
    const failure = await runWhoami(ctx).catch((err: unknown) => err)
    expect(failure).toMatchObject({
      code: 'xrpc_error',
      exitCode: 4,
      message: expect.stringContaining('401 InvalidToken: Bad token scope'),
      details: { status: 401, xrpcError: 'InvalidToken' },
    })
    expect(String((failure as { hint?: string }).hint)).not.toMatch(/log in/i)
    expect(accounts.changes).toEqual([])
  })

  it('without a logged-in account it fails with exit 3 before any request', async () => {
    const { ctx, requests } = setup(answer(200, {}))
    ctx.accounts = new FakeAccounts([])
    await expect(runWhoami(ctx)).rejects.toMatchObject({ code: 'not_logged_in', exitCode: 3 })
    expect(requests).toEqual([])
  })
})
