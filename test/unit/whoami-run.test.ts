// whoami's run function with fake dependencies: what it asks for, what it
// reports, and how it treats the server's answers.
import { describe, expect, it } from 'vitest'
import type { XrpcAnswer, XrpcRequest } from '../../src/auth/session.ts'
import { runWhoami } from '../../src/commands/whoami.ts'
import { ALICE, FakeAccounts, fakeContext } from '../support/fake-context.ts'

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

function setup(reply: XrpcAnswer) {
  const requests: XrpcRequest[] = []
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
  })
  return { ...fake, requests, accounts }
}

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

  it('records a handle that changed since login', async () => {
    const { ctx, accounts } = setup(answer(200, { did: ALICE.did, handle: 'alice.new.test' }))
    const result = await runWhoami(ctx)
    expect(result.data.handle).toBe('alice.new.test')
    expect(accounts.changes).toEqual([`renamed ${ALICE.did} alice.new.test`])
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
