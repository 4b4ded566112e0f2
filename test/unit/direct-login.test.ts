// The login without the OAuth library, against a fake atproto stack on
// loopback (handle resolver, PLC directory, PDS and authorization server in
// one server). The start: the requests it makes, the pushed authorization
// request it sends, and every case where it must step aside (undefined) so
// that the library does the login instead. The code exchange: the token
// request, the session it returns, and every token it must refuse (and
// revoke).
import { createHash, createPublicKey, verify } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  authorizeDirectly,
  type DirectAuthorization,
  type DirectAuthorizationRequest,
} from '../../src/oauth/direct-authorization.ts'
import {
  type CodeExchangeRequest,
  exchangeCode,
  revokeToken,
} from '../../src/oauth/direct-code-exchange.ts'
import { sendOnce } from '../../src/oauth/plain-http.ts'
import { isPublicAddress } from '../../src/oauth/public-address.ts'

const DID = 'did:plc:abcdefghijklmnopqrstuvwx'
const CLIENT_ID = 'https://atoauth.example/client-metadata.json'
const REDIRECT_URI = 'http://127.0.0.1:4567/callback'
const NONCE = 'nonce-1'

type Received = { method: string; path: string; form?: URLSearchParams; dpop?: string }

const TOKENS = {
  access_token: 'access-1',
  token_type: 'DPoP',
  sub: DID,
  scope: 'atproto transition:generic',
  refresh_token: 'refresh-1',
  expires_in: 3600,
}

/** The fake stack's answers; each test changes what it needs. */
type Stack = {
  origin: string
  received: Received[]
  didDocument: Record<string, unknown>
  resource: Record<string, unknown>
  metadata: Record<string, unknown>
  /** Answers the PAR once it carries a valid proof with the nonce. */
  par: (form: URLSearchParams) => { status: number; body: unknown }
  /** The nonce the token endpoint wants, and its answer once it has it. */
  tokenNonce: string
  token: (form: URLSearchParams) => { status: number; body: unknown }
  handles: Record<string, string>
}

let server: Server
let stack: Stack

beforeEach(async () => {
  server = createServer((req, res) => void answer(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  stack = {
    origin,
    received: [],
    handles: { 'alice.test': DID },
    didDocument: {
      id: DID,
      alsoKnownAs: ['at://alice.test'],
      service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: origin }],
    },
    resource: { resource: origin, authorization_servers: [origin] },
    metadata: {
      issuer: origin,
      authorization_endpoint: `${origin}/oauth/authorize`,
      token_endpoint: `${origin}/oauth/token`,
      revocation_endpoint: `${origin}/oauth/revoke`,
      pushed_authorization_request_endpoint: `${origin}/oauth/par`,
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
      protected_resources: [origin],
      dpop_signing_alg_values_supported: ['ES256K', 'ES256'],
      token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
    },
    par: () => ({ status: 201, body: { request_uri: 'urn:request:1', expires_in: 299 } }),
    tokenNonce: 'nonce-2',
    token: () => ({ status: 200, body: TOKENS }),
  }
})

afterEach(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

async function answer(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', stack.origin)
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const entry: Received = { method: req.method ?? '', path: decodeURIComponent(url.pathname) }
  stack.received.push(entry)
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  }
  if (url.pathname === '/xrpc/com.atproto.identity.resolveHandle') {
    const did = stack.handles[url.searchParams.get('handle') ?? '']
    return did
      ? json(200, { did })
      : json(400, { error: 'InvalidRequest', message: 'Unable to resolve handle' })
  }
  if (entry.path === `/${DID}`) return json(200, stack.didDocument)
  if (url.pathname === '/.well-known/oauth-protected-resource') return json(200, stack.resource)
  if (url.pathname === '/.well-known/oauth-authorization-server') return json(200, stack.metadata)
  if (url.pathname === '/oauth/par' && req.method === 'POST') {
    entry.form = new URLSearchParams(Buffer.concat(chunks).toString())
    entry.dpop = req.headers.dpop as string
    const proof = checkProof(entry.dpop, `${stack.origin}/oauth/par`)
    if (proof.nonce !== NONCE) {
      return json(400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': NONCE })
    }
    const { status, body } = stack.par(entry.form)
    return json(status, body, { 'dpop-nonce': 'nonce-2' })
  }
  if (url.pathname === '/oauth/token' && req.method === 'POST') {
    entry.form = new URLSearchParams(Buffer.concat(chunks).toString())
    entry.dpop = req.headers.dpop as string
    const proof = checkProof(entry.dpop, `${stack.origin}/oauth/token`)
    if (proof.nonce !== stack.tokenNonce) {
      return json(400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': stack.tokenNonce })
    }
    const { status, body } = stack.token(entry.form)
    return json(status, body, { 'dpop-nonce': 'nonce-3' })
  }
  if (url.pathname === '/oauth/revoke' && req.method === 'POST') {
    entry.form = new URLSearchParams(Buffer.concat(chunks).toString())
    entry.dpop = req.headers.dpop as string
    checkProof(entry.dpop, `${stack.origin}/oauth/revoke`)
    return json(200, {})
  }
  json(404, { error: 'NotFound' })
}

/** Verifies a DPoP proof's signature with the key in its header; returns its payload. */
function checkProof(proof: string, htu: string) {
  const [header, payload, signature] = proof.split('.') as [string, string, string]
  const decoded = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString())
  const { jwk, alg, typ } = decoded(header)
  expect({ alg, typ }).toEqual({ alg: 'ES256', typ: 'dpop+jwt' })
  const valid = verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  )
  expect(valid).toBe(true)
  const claims = decoded(payload)
  expect(claims).toMatchObject({ htm: 'POST', htu })
  return { ...claims, jwk }
}

function request(overrides: Partial<DirectAuthorizationRequest> = {}): DirectAuthorizationRequest {
  return {
    identifier: 'alice.test',
    scope: 'atproto transition:generic',
    beforePush: async () => ({ clientId: CLIENT_ID, redirectUri: REDIRECT_URI }),
    settings: {
      plcDirectoryUrl: stack.origin,
      handleResolverUrl: stack.origin,
      allowHttp: true,
    },
    send: (url, init) => sendOnce(url, { ...init, signal: AbortSignal.timeout(5000) }),
    ...overrides,
  }
}

describe('authorizeDirectly', () => {
  it('resolves the account, pushes the authorization request and returns the URL and what the code exchange needs', async () => {
    const started = await authorizeDirectly(request())
    expect(started).toBeDefined()
    if (!started) return

    expect(stack.received.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /xrpc/com.atproto.identity.resolveHandle',
      `GET /${DID}`,
      'GET /.well-known/oauth-protected-resource',
      'GET /.well-known/oauth-authorization-server',
      'POST /oauth/par',
      'POST /oauth/par',
    ])
    const par = stack.received.at(-1)!
    expect(Object.fromEntries(par.form!)).toEqual({
      client_id: 'https://atoauth.example/client-metadata.json',
      redirect_uri: 'http://127.0.0.1:4567/callback',
      code_challenge: createHash('sha256').update(started.verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: started.state,
      login_hint: 'alice.test',
      response_mode: 'query',
      response_type: 'code',
      scope: 'atproto transition:generic',
    })
    // Signed with the key the session will use.
    const proof = checkProof(par.dpop!, `${stack.origin}/oauth/par`)
    const { d: _private, alg: _alg, ...publicJwk } = started.dpopJwk
    expect(proof.jwk).toEqual(publicJwk)
    expect(started.dpopJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' })
    expect(started.dpopJwk.d).toEqual(expect.any(String))
    expect(started.server).toMatchObject({
      did: DID,
      handle: 'alice.test',
      pds: `${stack.origin}/`,
      issuer: stack.origin,
      issParameterSupported: true,
    })
    expect(started.server.tokenEndpoint.href).toBe(`${stack.origin}/oauth/token`)
    expect(started.server.revocationEndpoint?.href).toBe(`${stack.origin}/oauth/revoke`)
    expect(started.url.href).toBe(
      `${stack.origin}/oauth/authorize?client_id=${encodeURIComponent('https://atoauth.example/client-metadata.json')}&request_uri=${encodeURIComponent('urn:request:1')}`,
    )
    expect(started.nonce).toBe('nonce-2')
  })

  it('signs in by DID with the handle as the hint when the handle names the DID back, else the DID', async () => {
    await authorizeDirectly(request({ identifier: DID }))
    expect(stack.received.at(-1)?.form?.get('login_hint')).toBe('alice.test')

    stack.handles = {}
    await authorizeDirectly(request({ identifier: DID }))
    expect(stack.received.at(-1)?.form?.get('login_hint')).toBe(DID)
  })

  it('waits for beforePush (the client) before the authorization request, and stops there if it fails', async () => {
    const refused = new Error('the keychain is locked')
    await expect(
      authorizeDirectly(request({ beforePush: () => Promise.reject(refused) })),
    ).rejects.toBe(refused)
    expect(stack.received.map((r) => r.path)).not.toContain('/oauth/par')
  })

  const leftToTheLibrary: [string, () => void][] = [
    [
      'a handle that does not resolve',
      () => {
        stack.handles = {}
      },
    ],
    [
      'a DID document without the handle',
      () => {
        stack.didDocument.alsoKnownAs = []
      },
    ],
    [
      'a did:web account',
      () => {
        stack.handles['alice.test'] = 'did:web:alice.test'
      },
    ],
    [
      'a PDS without an #atproto_pds service',
      () => {
        stack.didDocument.service = []
      },
    ],
    [
      'a PDS naming another resource',
      () => {
        stack.resource.resource = 'https://other.example'
      },
    ],
    [
      'a PDS with two authorization servers',
      () => {
        stack.resource.authorization_servers = [stack.origin, 'https://b.example']
      },
    ],
    [
      'an issuer that is not the one named',
      () => {
        stack.metadata.issuer = 'https://evil.example'
      },
    ],
    [
      'a server without client ID metadata documents',
      () => {
        stack.metadata.client_id_metadata_document_supported = false
      },
    ],
    [
      'a server that does not protect this PDS',
      () => {
        stack.metadata.protected_resources = ['https://other.example']
      },
    ],
    [
      'a server without PAR',
      () => void delete stack.metadata.pushed_authorization_request_endpoint,
    ],
    [
      'a server without ES256',
      () => {
        stack.metadata.dpop_signing_alg_values_supported = ['ES256K']
      },
    ],
    [
      'a PAR refused',
      () => {
        stack.par = () => ({ status: 400, body: { error: 'invalid_request' } })
      },
    ],
    [
      'a PAR answer without request_uri',
      () => {
        stack.par = () => ({ status: 201, body: {} })
      },
    ],
  ]
  it.each(leftToTheLibrary)('leaves %s to the library', async (_case, change) => {
    change()
    expect(await authorizeDirectly(request())).toBeUndefined()
  })

  it('leaves plain HTTP servers to the library unless development settings allow them', async () => {
    const settings = {
      plcDirectoryUrl: stack.origin,
      handleResolverUrl: stack.origin,
      allowHttp: false,
    }
    expect(await authorizeDirectly(request({ settings }))).toBeUndefined()
    expect(stack.received.map((r) => r.path)).not.toContain('/.well-known/oauth-protected-resource')
  })
})

describe('public addresses', () => {
  it('tells public unicast addresses from private, loopback and special ones', () => {
    for (const address of ['8.8.8.8', '2606:4700:4700::1111']) {
      expect(isPublicAddress(address), address).toBe(true)
    }
    for (const address of [
      '127.0.0.1',
      '10.0.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fc00::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
      'not an address',
    ]) {
      expect(isPublicAddress(address), address).toBe(false)
    }
  })

  it('refuses to connect a handle web server that is on this machine', async () => {
    await expect(
      sendOnce(new URL(`${stack.origin}/.well-known/atproto-did`), {
        method: 'GET',
        headers: {},
        signal: AbortSignal.timeout(5000),
        publicOnly: true,
      }),
    ).rejects.toMatchObject({ message: 'fetch failed', cause: { code: 'ENOTPUBLIC' } })
    const localhost = new URL(stack.origin.replace('127.0.0.1', 'localhost'))
    await expect(
      sendOnce(new URL('/.well-known/atproto-did', localhost), {
        method: 'GET',
        headers: {},
        signal: AbortSignal.timeout(5000),
        publicOnly: true,
      }),
    ).rejects.toMatchObject({ message: 'fetch failed', cause: { code: 'ENOTPUBLIC' } })
    expect(stack.received).toEqual([])
  })
})

describe('exchangeCode', () => {
  /** A login started against the fake stack, and the callback that ends it. */
  async function started(): Promise<DirectAuthorization> {
    const start = await authorizeDirectly(request())
    if (!start) throw new Error('the fake stack should allow a direct start')
    stack.received.length = 0
    return start
  }
  const callback = (start: DirectAuthorization, params: Record<string, string> = {}) =>
    new URLSearchParams({ state: start.state, code: 'code-1', iss: stack.origin, ...params })
  const exchange = (
    start: DirectAuthorization,
    overrides: Partial<CodeExchangeRequest> = {},
  ): ReturnType<typeof exchangeCode> =>
    exchangeCode({
      authorization: start,
      params: callback(start),
      clientId: CLIENT_ID,
      redirectUri: REDIRECT_URI,
      send: request().send,
      otherAccount: () => Promise.reject(new Error('not expected: another account')),
      now: () => Date.parse('2026-11-23T12:00:00.000Z'),
      ...overrides,
    })
  const paths = () => stack.received.map((r) => `${r.method} ${r.path}`)

  it('exchanges the code with PKCE and the session key, starting with the nonce of the PAR', async () => {
    const start = await started()
    const done = await exchange(start)

    expect(paths()).toEqual(['POST /oauth/token'])
    const token = stack.received[0]!
    expect(Object.fromEntries(token.form!)).toEqual({
      client_id: CLIENT_ID,
      grant_type: 'authorization_code',
      redirect_uri: REDIRECT_URI,
      code: 'code-1',
      code_verifier: start.verifier,
    })
    const proof = checkProof(token.dpop!, `${stack.origin}/oauth/token`)
    const { d: _private, alg: _alg, ...publicJwk } = start.dpopJwk
    expect(proof.jwk).toEqual(publicJwk)
    expect(proof.nonce).toBe('nonce-2')

    // What the library stores for a session (NodeSavedSession): later
    // commands restore and refresh it through the library.
    expect(done).toEqual({
      did: DID,
      handle: 'alice.test',
      session: {
        dpopJwk: start.dpopJwk,
        authMethod: { method: 'none' },
        tokenSet: {
          aud: `${stack.origin}/`,
          sub: DID,
          iss: stack.origin,
          scope: 'atproto transition:generic',
          refresh_token: 'refresh-1',
          access_token: 'access-1',
          token_type: 'DPoP',
          expires_at: '2026-11-23T13:00:00.000Z',
        },
      },
      nonce: { origin: stack.origin, value: 'nonce-3' },
    })
  })

  it('asks again once with the nonce the token endpoint wants', async () => {
    const start = await started()
    stack.tokenNonce = 'nonce-rotated'
    const done = await exchange(start)
    expect(paths()).toEqual(['POST /oauth/token', 'POST /oauth/token'])
    expect(done.did).toBe(DID)
  })

  it('refuses a callback from another issuer, or without one where the server always sends it, before any request', async () => {
    const start = await started()
    await expect(
      exchange(start, { params: callback(start, { iss: 'https://evil.example' }) }),
    ).rejects.toMatchObject({ code: 'issuer_mismatch', exitCode: 1 })
    const params = callback(start)
    params.delete('iss')
    await expect(exchange(start, { params })).rejects.toMatchObject({
      code: 'callback_malformed',
    })
    expect(paths()).toEqual([])
  })

  it("a refused code exchange says so in the server's words", async () => {
    const start = await started()
    stack.token = () => ({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Code\u001b[31m replayed' },
    })
    await expect(exchange(start)).rejects.toMatchObject({
      code: 'token_request_failed',
      message: `${stack.origin} refused to exchange the authorization code for tokens (invalid_grant: Code [31m replayed).`,
    })
  })

  it.each([
    ['a token type other than DPoP', { token_type: 'Bearer' }, 'the token type is not DPoP'],
    ['no atproto scope', { scope: 'transition:generic' }, 'the scope lacks "atproto"'],
    ['an account that is not a DID', { sub: 'alice.test' }, 'is not an atproto DID'],
    ['an OpenID id_token', { id_token: 'a.b.c' }, 'OpenID id_token'],
    ['expires_in that is not a number', { expires_in: '3600' }, 'expires_in'],
  ])('refuses tokens with %s, and revokes them', async (_, change, problem) => {
    const start = await started()
    stack.token = () => ({ status: 200, body: { ...TOKENS, ...change } })
    const refused = exchange(start)
    await expect(refused).rejects.toMatchObject({ code: 'token_response_invalid' })
    await expect(refused).rejects.toThrow(problem)
    const revoked = stack.received.find((r) => r.path === '/oauth/revoke')
    expect(revoked?.form?.get('token')).toBe('access-1')
  })

  it('tokens for another account: accepted when its own resolution names this issuer', async () => {
    const start = await started()
    const other = 'did:plc:zyxwvutsrqponmlkjihgfedc'
    stack.token = () => ({ status: 200, body: { ...TOKENS, sub: other } })
    const asked: string[] = []
    const done = await exchange(start, {
      otherAccount: async (did) => {
        asked.push(did)
        return { issuer: stack.origin, pds: 'https://other.pds.example/', handle: 'bob.test' }
      },
    })
    expect(asked).toEqual([other])
    expect(done).toMatchObject({
      did: other,
      handle: 'bob.test',
      session: { tokenSet: { sub: other, aud: 'https://other.pds.example/' } },
    })
  })

  it('tokens for another account whose authorization server is another: refused and revoked', async () => {
    const start = await started()
    stack.token = () => ({
      status: 200,
      body: { ...TOKENS, sub: 'did:plc:zyxwvutsrqponmlkjihgfedc' },
    })
    await expect(
      exchange(start, {
        otherAccount: async () => ({
          issuer: 'https://elsewhere.example',
          pds: 'https://elsewhere.example/',
          handle: undefined,
        }),
      }),
    ).rejects.toMatchObject({ code: 'issuer_mismatch' })
    const revoked = stack.received.find((r) => r.path === '/oauth/revoke')
    expect(revoked?.form?.get('token')).toBe('refresh-1')
  })

  it('revokeToken ends a token at the revocation endpoint with a DPoP proof', async () => {
    const start = await started()
    await revokeToken(start, CLIENT_ID, 'refresh-9', 'nonce-2', request().send)
    expect(paths()).toEqual(['POST /oauth/revoke'])
    expect(Object.fromEntries(stack.received[0]!.form!)).toEqual({
      client_id: CLIENT_ID,
      token: 'refresh-9',
    })
  })
})
