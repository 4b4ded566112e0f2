// The login's sequence with a fake OAuth library and a fake browser, over the
// real loopback listener: probe the keychain → authorize() → open the
// browser → only this login's callback is taken → callback() → keep the
// account; and a session that cannot be kept is revoked.
import type { NodeOAuthClient } from '@atproto/oauth-client-node'
import { describe, expect, it } from 'vitest'
import type { OAuthClientOptions } from '../../src/auth/client.ts'
import type { LoginOptions } from '../../src/auth/login-options.ts'
import { runLogin } from '../../src/commands/login.ts'
import { ALICE, FakeAccounts, fakeContext } from '../support/fake-context.ts'

const STATE = 'state-of-this-login'

const options: LoginOptions = {
  identifier: '@alice.test',
  clientId: undefined,
  devClient: false,
  scope: 'atproto transition:generic',
  browser: undefined,
  openBrowser: true,
  timeout: 30,
  port: 0,
}

type Seen = {
  events: string[]
  pages: { status: number; body: string }[]
  /** Settles once the fake browser has read both pages. */
  browsed?: Promise<void>
  /** Makes the account lookup after the code exchange fail. */
  lookupFails?: boolean
}

/** The library as login uses it: state kept in the store it is given, session stored on callback. */
function fakeLibrary(seen: Seen, accounts: FakeAccounts) {
  return async (client: OAuthClientOptions) => {
    const redirectUri = client.clientMetadata.redirect_uris[0]
    seen.events.push(`client for ${redirectUri}`)
    return {
      authorize: async (identifier: string, o: { redirect_uri: string }) => {
        seen.events.push(
          `authorize ${identifier} (probed: ${accounts.secrets.log.includes('probe')})`,
        )
        expect(o.redirect_uri).toBe(redirectUri)
        await client.stateStore?.set(STATE, {})
        return new URL('https://auth.example.com/oauth/authorize?request_uri=urn:x')
      },
      callback: async (params: URLSearchParams) => {
        seen.events.push(`callback code=${params.get('code')}`)
        const saved = { dpopJwk: {}, tokenSet: { sub: ALICE.did } }
        await client.sessionStore.set(ALICE.did, saved as never)
        return {
          session: {
            did: ALICE.did,
            getTokenInfo: async () => ({ iss: ALICE.issuer, aud: ALICE.pds, scope: ALICE.scope }),
          },
        }
      },
      identityResolver: {
        resolve: async () => {
          if (seen.lookupFails) throw new TypeError('fetch failed')
          return { handle: ALICE.handle }
        },
      },
      revoke: async (did: string) => {
        seen.events.push(`revoke ${did}`)
      },
    } as unknown as NodeOAuthClient
  }
}

/** A browser that is sent a forged callback first, then the real redirect. */
function fakeBrowser(seen: Seen) {
  return async (url: string) => {
    seen.events.push(`browser ${new URL(url).host}`)
    const back = `http://127.0.0.1:${listenerPort(seen)}/callback`
    seen.browsed = (async () => {
      for (const query of [`state=forged&code=evil`, `state=${STATE}&code=real&iss=x`]) {
        const res = await fetch(`${back}?${query}`)
        seen.pages.push({ status: res.status, body: await res.text() })
      }
    })()
    return { opened: true }
  }
}

function listenerPort(seen: Seen): number {
  const line = seen.events.find((e) => e.startsWith('client for '))
  return Number(new URL(line?.slice('client for '.length) ?? '').port)
}

function setup() {
  const seen: Seen = { events: [], pages: [] }
  const accounts = new FakeAccounts([])
  const fake = fakeContext({ accounts, oauthClient: fakeLibrary(seen, accounts) })
  fake.ctx.openBrowser = fakeBrowser(seen)
  return { ...fake, seen, accounts }
}

describe('the login sequence', () => {
  it('probes the keychain, authorizes, opens the browser, takes only its own callback, and records the account', async () => {
    const { ctx, seen, accounts, stderr } = setup()
    const result = await runLogin(options, ctx)
    await seen.browsed
    expect(seen.events).toEqual([
      expect.stringMatching(/^client for http:\/\/127\.0\.0\.1:\d+\/callback$/),
      'authorize alice.test (probed: true)',
      'browser auth.example.com',
      'callback code=real',
    ])
    expect(seen.pages.map((p) => p.status)).toEqual([400, 200])
    expect(stderr()).toMatch(/ignored a callback whose state is not this login's .*still waiting/)
    expect(stderr()).toContain('https://auth.example.com/oauth/authorize?request_uri=urn:x')
    expect(accounts.secrets.log).toEqual(['probe', `set ${ALICE.did}`])
    expect(accounts.changes).toEqual([`saveLogin ${ALICE.did}`])
    expect(result.data).toEqual({
      did: ALICE.did,
      handle: ALICE.handle,
      pds: ALICE.pds,
      scope: ALICE.scope,
      store: 'keychain',
    })
  })

  it('a session that cannot be recorded is revoked, and the page and the error say so', async () => {
    const { ctx, seen, accounts } = setup()
    accounts.failSave = new Error('EROFS: read-only file system')
    const failure = await runLogin(options, ctx).catch((err: unknown) => err)
    await seen.browsed
    expect(failure).toMatchObject({
      code: 'store_failed',
      exitCode: 5,
      message: expect.stringContaining('revoked at the server'),
    })
    expect(seen.events.at(-1)).toBe(`revoke ${ALICE.did}`)
    expect(seen.pages.at(-1)?.status).toBe(400)
    expect(seen.pages.at(-1)?.body).toContain('revoked at the server')
  })

  it('a failure after the code exchange, before the account is recorded, revokes the session', async () => {
    const { ctx, seen, accounts } = setup()
    seen.lookupFails = true
    const failure = await runLogin(options, ctx).catch((err: unknown) => err)
    await seen.browsed
    expect(failure).toMatchObject({ message: expect.stringContaining('revoked at the server') })
    expect(seen.events.at(-1)).toBe(`revoke ${ALICE.did}`)
    expect(accounts.changes).toEqual([])
  })

  it('warns that ATOAUTH_SESSION is set and is not what this login uses', async () => {
    const { ctx, stderr } = setup()
    const session = { kind: 'session-env', variable: 'ATOAUTH_SESSION', text: '{}' } as const
    ctx.settings = { ...ctx.settings, exportedSession: session }
    await runLogin(options, ctx)
    expect(stderr()).toMatch(/ATOAUTH_SESSION is set: this login does not use it/)
  })

  it('an identifier that is not a handle, DID or URL stops before anything is bound or sent', async () => {
    const { ctx, seen, accounts } = setup()
    await expect(runLogin({ ...options, identifier: 'not a handle!' }, ctx)).rejects.toMatchObject({
      code: 'usage',
      exitCode: 2,
    })
    expect(seen.events).toEqual([])
    expect(accounts.secrets.log).toEqual([])
  })
})
