// The OAuth library's requests (sessions from a file or the environment, tokens near expiry,
// refreshes) keep the warm request's rules: a request with credentials or a body never follows a
// redirect (a 307 would forward the DPoP proof and the body to another host), the whole request
// ends after REQUEST_TIMEOUT_MS, and an answer past MAX_RESPONSE_BYTES fails. Checked through
// the fetch of a client that createOAuthClient built, as the library sees it.
import { mkdtempSync } from 'node:fs'
import type { RequestListener } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createOAuthClient, MemoryStore } from '../../src/auth/client.ts'
import { AtoauthError, CancelledError, ExitCode } from '../../src/errors.ts'
import { handleInterrupts, resetInterruptsForTest } from '../../src/interrupts.ts'
import { MAX_RESPONSE_BYTES, REQUEST_TIMEOUT_MS } from '../../src/request-bounds.ts'
import { resolveSettings } from '../../src/settings.ts'
import { isHolding } from '../../src/token-answer-hold.ts'
import { answerOf, closeServers, serve, silentServer } from '../support/bounded-servers.ts'

afterEach(async () => {
  vi.useRealTimers()
  await closeServers()
})

/** The fetch the OAuth library gets from createOAuthClient. */
async function libraryFetch(): Promise<typeof fetch> {
  const dir = mkdtempSync(join(tmpdir(), 'atoauth-library-fetch-'))
  const settings = resolveSettings({}, { ATOAUTH_CONFIG_DIR: dir, ATOAUTH_CACHE_DIR: dir })
  const client = await createOAuthClient(settings, {
    clientMetadata: {
      client_id: 'https://atoauth.example/client-metadata.json',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      dpop_bound_access_tokens: true,
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: 'atproto transition:generic',
    },
    sessionStore: new MemoryStore(),
  })
  return client.fetch as typeof fetch
}

function redirectTo(location: string): RequestListener {
  return (_req, res) => res.writeHead(307, { location }).end()
}

describe("the OAuth library's requests, bounded", () => {
  it('a request with a DPoP proof or a body does not follow a redirect: the 307 is its answer', async () => {
    const elsewhere = await serve((_req, res) => res.end('{}'))
    const pds = await serve(redirectTo(`${elsewhere.origin}/xrpc/com.atproto.repo.createRecord`))
    const send = await libraryFetch()

    const withProof = await send(`${pds.origin}/xrpc/com.atproto.server.getSession`, {
      headers: { authorization: 'DPoP access-token', dpop: 'proof' },
    })
    const withBody = await send(`${pds.origin}/xrpc/com.atproto.repo.createRecord`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"record":"private words"}',
    })

    expect(withProof.status).toBe(307)
    expect(withBody.status).toBe(307)
    expect(elsewhere.received).toEqual([])
    expect(pds.received.map((r) => r.method)).toEqual(['GET', 'POST'])
  })

  it('a plain public lookup still follows a redirect, as the atproto spec allows for handles', async () => {
    const elsewhere = await serve((_req, res) => res.end('did:plc:abc'))
    const host = await serve(redirectTo(`${elsewhere.origin}/.well-known/atproto-did`))
    const answer = await (await libraryFetch())(`${host.origin}/.well-known/atproto-did`)
    expect(await answer.text()).toBe('did:plc:abc')
    expect(answer.redirected).toBe(true)
    expect(answer.url).toBe(`${elsewhere.origin}/.well-known/atproto-did`)
    expect(elsewhere.received).toHaveLength(1)
    expect(elsewhere.received[0]!.dpop).toBe(false)
  })

  it(`reads an answer of MAX_RESPONSE_BYTES, but not one byte more: response_too_large, exit 4`, async () => {
    const send = await libraryFetch()
    const whole = await send(`${(await serve(answerOf(MAX_RESPONSE_BYTES))).origin}/x`)
    expect((await whole.arrayBuffer()).byteLength).toBe(MAX_RESPONSE_BYTES)

    const { origin } = await serve(answerOf(MAX_RESPONSE_BYTES + 1))
    const failure = await (await send(`${origin}/x`)).arrayBuffer().catch((err: unknown) => err)
    expect(failure).toBeInstanceOf(AtoauthError)
    expect(failure).toMatchObject({ code: 'response_too_large', exitCode: ExitCode.network })
    expect((failure as Error).message).toContain(origin)
  }, 30_000)

  it('a declared length past the cap fails before the body is read', async () => {
    const { origin } = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(MAX_RESPONSE_BYTES + 1) })
      res.write('x')
    })
    const failure = await (await libraryFetch())(`${origin}/x`).catch((err: unknown) => err)
    expect(failure).toMatchObject({ code: 'response_too_large' })
  })

  it('gives up on a server that never answers after REQUEST_TIMEOUT_MS (30 s): network, exit 4', async () => {
    expect(REQUEST_TIMEOUT_MS).toBe(30_000)
    const send = await libraryFetch()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { origin, asked } = await silentServer()
    let settled = false
    const outcome = send(`${origin}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=x',
    })
      .catch((err: unknown) => err)
      .finally(() => {
        settled = true
      })
    await asked
    vi.advanceTimersByTime(REQUEST_TIMEOUT_MS - 1)
    await new Promise((r) => setImmediate(r))
    expect(settled).toBe(false)
    vi.advanceTimersByTime(1)
    const failure = await outcome
    expect(failure).toMatchObject({ code: 'network', exitCode: ExitCode.network })
    expect((failure as Error).message).toBe(`${origin} did not answer within 30 s.`)
  })
})

describe('token requests and signals', () => {
  const form = (grant: string) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=${grant}&refresh_token=x`,
  })
  afterEach(() => resetInterruptsForTest())

  it.each(['refresh_token', 'authorization_code'])(
    'a %s grant holds signals back from its sending until its answer is read',
    async (grant) => {
      const { origin } = await serve((_req, res) => res.end('{"access_token":"a"}'))
      const send = await libraryFetch()
      const answer = await send(`${origin}/oauth/token`, form(grant))
      expect(isHolding()).toBe(true)
      await answer.json()
      expect(isHolding()).toBe(false)
    },
  )

  it('other requests (a PAR, a revocation) hold nothing', async () => {
    const { origin } = await serve((_req, res) => res.end('{}'))
    const answer = await (await libraryFetch())(`${origin}/oauth/revoke`, {
      ...form('x'),
      body: 'token=x',
    })
    expect(isHolding()).toBe(false)
    await answer.text()
  })

  it('after a signal, a token request is not sent: CancelledError, and the server sees nothing', async () => {
    const server = await serve((_req, res) => res.end('{}'))
    const stop = handleInterrupts({
      cancel: new AbortController(),
      atTerminal: () => false,
      say: () => {},
      exit: () => {},
    })
    try {
      process.emit('SIGINT', 'SIGINT')
      const sent = (await libraryFetch())(`${server.origin}/oauth/token`, form('refresh_token'))
      await expect(sent).rejects.toBeInstanceOf(CancelledError)
      expect(server.received).toEqual([])
    } finally {
      stop()
    }
  })
})
