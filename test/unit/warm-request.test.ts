// The warm path's DPoP-signed request, against a small server that checks the
// proof the way a resource server does (RFC 9449 §4.3).
import { createHash, createPublicKey, verify } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { createServer, globalAgent, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type SavedSession, warmRequest } from '../../src/auth/warm-request.ts'
import { CancelledError, ExitCode, toAtoauthError } from '../../src/errors.ts'
import { resolveSettings, type Settings } from '../../src/settings.ts'
import { openOAuthCache } from '../../src/store/disk-cache.ts'
import { VERSION } from '../../src/version.ts'
import { ACCESS_TOKEN, savedSession } from '../support/saved-session.ts'

type Seen = {
  method: string
  body: string
  contentType: string | undefined
  header: Record<string, unknown>
  payload: Record<string, unknown>
  valid: boolean
}

/** Checks each request's DPoP proof; answers 401 use_dpop_nonce until the proof has `nonce`. */
async function resourceServer(options: { nonce: string; status?: number }) {
  const seen: Seen[] = []
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString()
    const proof = String(req.headers.dpop)
    const [h, p, s] = proof.split('.') as [string, string, string]
    const header = JSON.parse(Buffer.from(h, 'base64url').toString())
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString())
    const key = createPublicKey({ key: header.jwk, format: 'jwk' })
    const valid = verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      { key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(s, 'base64url'),
    )
    seen.push({
      method: req.method ?? '',
      body,
      contentType: req.headers['content-type'],
      header,
      payload,
      valid,
    })
    if (payload.nonce !== options.nonce) {
      res.writeHead(401, {
        'www-authenticate': 'DPoP error="use_dpop_nonce"',
        'dpop-nonce': options.nonce,
      })
      res.end('{"error":"use_dpop_nonce"}')
      return
    }
    res.writeHead(options.status ?? 200, {
      'content-type': 'application/json',
      'dpop-nonce': options.nonce,
    })
    res.end(
      JSON.stringify({
        auth: req.headers.authorization,
        url: req.url,
        userAgent: req.headers['user-agent'],
      }),
    )
  })
  return { url: await listen(server), seen }
}

/** Servers to close after each test. */
const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  }
})

/** Starts `server` on loopback until the test ends; its base URL. */
async function listen(server: Server): Promise<string> {
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

async function setup(options: { nonce: string; status?: number }) {
  const server = await resourceServer(options)
  const cacheDir = await mkdtemp(join(tmpdir(), 'atoauth-warm-'))
  const settings = resolveSettings({}, { ATOAUTH_CACHE_DIR: cacheDir })
  return { server, settings, cacheDir }
}

/** A GET through the warm path, as whoami sends one. */
function warmGet(
  settings: Settings,
  saved: SavedSession,
  path = '/x',
  signal = AbortSignal.timeout(5000),
) {
  return warmRequest(settings, saved, { method: 'GET', path }, signal)
}

describe('warmRequest', () => {
  it('signs a valid ES256 DPoP proof bound to the token, learns the nonce, then needs one request', async () => {
    const { server, settings, cacheDir } = await setup({ nonce: 'n-1' })
    const saved = savedSession(server.url)
    const first = await warmGet(settings, saved, '/xrpc/x.y.z?a=1')
    expect(first?.status).toBe(200)
    expect(JSON.parse(Buffer.from(first?.bytes ?? []).toString())).toEqual({
      auth: `DPoP ${ACCESS_TOKEN}`,
      url: '/xrpc/x.y.z?a=1',
      userAgent: `atoauth/${VERSION}`,
    })
    expect(server.seen).toHaveLength(2)
    for (const { header, payload, valid } of server.seen) {
      expect(valid).toBe(true)
      expect(header).toMatchObject({
        typ: 'dpop+jwt',
        alg: 'ES256',
        jwk: { kty: 'EC', crv: 'P-256' },
      })
      expect(header.jwk).not.toHaveProperty('d')
      expect(payload).toMatchObject({
        htm: 'GET',
        htu: `${server.url}xrpc/x.y.z`,
        ath: createHash('sha256').update(ACCESS_TOKEN).digest('base64url'),
      })
    }
    expect(server.seen[0]!.payload.jti).not.toBe(server.seen[1]!.payload.jti)
    expect(
      await openOAuthCache<string>(cacheDir, 'dpopNonces').get(new URL(server.url).origin),
    ).toBe('n-1')

    // The next run starts with the cached nonce: one request.
    await warmGet(settings, saved, '/xrpc/x.y.z')
    expect(server.seen).toHaveLength(3)
  })

  it('sends a procedure: method and body, signed for POST, and the body again on the nonce retry', async () => {
    const { server, settings } = await setup({ nonce: 'n-2' })
    const warm = await warmRequest(
      settings,
      savedSession(server.url),
      {
        method: 'POST',
        path: '/xrpc/com.atproto.repo.createRecord',
        headers: { 'content-type': 'application/json' },
        body: Buffer.from('{"text":"hi"}'),
      },
      AbortSignal.timeout(5000),
    )
    expect(warm?.status).toBe(200)
    expect(server.seen.map((s) => [s.method, s.payload.htm, s.body, s.contentType])).toEqual([
      ['POST', 'POST', '{"text":"hi"}', 'application/json'],
      ['POST', 'POST', '{"text":"hi"}', 'application/json'],
    ])
    expect(server.seen[1]?.payload.nonce).toBe('n-2')
  })

  it('signs with secp256k1 keys too (ES256K), as the reference server prefers', async () => {
    const { server, settings } = await setup({ nonce: 'n' })
    const warm = await warmGet(settings, savedSession(server.url, 3_600_000, 'secp256k1'))
    expect(warm?.status).toBe(200)
    expect(
      server.seen.map((s) => [s.header.alg, (s.header.jwk as { crv: string }).crv, s.valid]),
    ).toEqual([
      ['ES256K', 'secp256k1', true],
      ['ES256K', 'secp256k1', true],
    ])
  })

  it('leaves a token that expires within a minute to the full path, without a request', async () => {
    const { server, settings } = await setup({ nonce: 'n' })
    expect(await warmGet(settings, savedSession(server.url, 30_000))).toBeUndefined()
    expect(server.seen).toHaveLength(0)
  })

  it('leaves a refused token to the full path', async () => {
    const { server, settings } = await setup({ nonce: 'n', status: 401 })
    expect(await warmGet(settings, savedSession(server.url))).toBeUndefined()
  })

  it('leaves keys it does not handle to the full path', async () => {
    const { server, settings } = await setup({ nonce: 'n' })
    const saved = savedSession(server.url)
    saved.dpopJwk.crv = 'P-521'
    expect(await warmGet(settings, saved)).toBeUndefined()
    expect(server.seen).toHaveLength(0)
  })

  it('a connection cut mid-answer fails like fetch: a network failure, exit 4', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
      res.write('{"did":')
      setTimeout(() => res.socket?.destroy(), 20)
    })
    const url = await listen(server)
    const { settings } = await setup({ nonce: 'n' })
    const failure = await warmGet(settings, savedSession(url)).catch((err: unknown) => err)
    expect(failure).toBeInstanceOf(TypeError)
    expect(toAtoauthError(failure).exitCode).toBe(ExitCode.network)
  })

  it('Ctrl-C while waiting rejects with the cancellation itself (exit 130)', async () => {
    const server = createServer(() => {}) // never answers
    const url = await listen(server)
    const { settings } = await setup({ nonce: 'n' })
    const cancel = new AbortController()
    setTimeout(() => cancel.abort(new CancelledError()), 50)
    const failure = await warmGet(settings, savedSession(url), '/x', cancel.signal).catch(
      (err: unknown) => err,
    )
    expect(failure).toBeInstanceOf(CancelledError)
    expect(toAtoauthError(failure).exitCode).toBe(ExitCode.cancelled)
  })

  it('leaves a proxied Node (NODE_USE_ENV_PROXY, --use-env-proxy) to the full path, whose fetch uses it', async () => {
    const { server, settings } = await setup({ nonce: 'n' })
    // What Node sets up at start when either turns its proxy support on.
    const options = (globalAgent as unknown as { options: { proxyEnv?: unknown } }).options
    options.proxyEnv = { HTTPS_PROXY: 'http://127.0.0.1:9' }
    try {
      expect(await warmGet(settings, savedSession(server.url))).toBeUndefined()
    } finally {
      options.proxyEnv = undefined
    }
    expect(server.seen).toHaveLength(0)
  })
})
