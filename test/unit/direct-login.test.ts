// The login's start without the OAuth library, against a fake atproto stack
// on loopback (handle resolver, PLC directory, PDS and authorization server
// in one server): the requests it makes, the pushed authorization request it
// sends, what it hands the library for the callback, and every case where it
// must step aside (undefined) so that the library does the login instead.
import { createHash, createPublicKey, verify } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  authorizeDirectly,
  type DirectAuthorizationRequest,
} from '../../src/oauth/direct-authorization.ts'
import { sendOnce } from '../../src/oauth/plain-http.ts'
import { isPublicAddress } from '../../src/oauth/public-address.ts'

const DID = 'did:plc:abcdefghijklmnopqrstuvwx'
const NONCE = 'nonce-1'

type Received = { method: string; path: string; form?: URLSearchParams; dpop?: string }

/** The fake stack's answers; each test changes what it needs. */
type Stack = {
  origin: string
  received: Received[]
  didDocument: Record<string, unknown>
  resource: Record<string, unknown>
  metadata: Record<string, unknown>
  /** Answers the PAR once it carries a valid proof with the nonce. */
  par: (form: URLSearchParams) => { status: number; body: unknown }
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
      pushed_authorization_request_endpoint: `${origin}/oauth/par`,
      client_id_metadata_document_supported: true,
      protected_resources: [origin],
      dpop_signing_alg_values_supported: ['ES256K', 'ES256'],
      token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
    },
    par: () => ({ status: 201, body: { request_uri: 'urn:request:1', expires_in: 299 } }),
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
    clientId: 'https://atoauth.example/client-metadata.json',
    redirectUri: 'http://127.0.0.1:4567/callback',
    scope: 'atproto transition:generic',
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
  it('resolves the account, pushes the authorization request and returns the URL and the state for the callback', async () => {
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
      code_challenge: createHash('sha256').update(started.savedState.verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: started.state,
      login_hint: 'alice.test',
      response_mode: 'query',
      response_type: 'code',
      scope: 'atproto transition:generic',
    })
    // Signed with the key the callback will use.
    const proof = checkProof(par.dpop!, `${stack.origin}/oauth/par`)
    const { d: _private, alg: _alg, ...publicJwk } = started.savedState.dpopJwk
    expect(proof.jwk).toEqual(publicJwk)
    expect(started.savedState).toMatchObject({ iss: stack.origin, authMethod: { method: 'none' } })
    expect(started.savedState.dpopJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' })
    expect(started.savedState.dpopJwk.d).toEqual(expect.any(String))
    expect(started.url.href).toBe(
      `${stack.origin}/oauth/authorize?client_id=${encodeURIComponent('https://atoauth.example/client-metadata.json')}&request_uri=${encodeURIComponent('urn:request:1')}`,
    )
    expect(started.nonce).toEqual({ origin: stack.origin, value: 'nonce-2' })
  })

  it('signs in by DID with the handle as the hint when the handle names the DID back, else the DID', async () => {
    await authorizeDirectly(request({ identifier: DID }))
    expect(stack.received.at(-1)?.form?.get('login_hint')).toBe('alice.test')

    stack.handles = {}
    await authorizeDirectly(request({ identifier: DID }))
    expect(stack.received.at(-1)?.form?.get('login_hint')).toBe(DID)
  })

  it('waits for beforePush before the authorization request, and stops there if it fails', async () => {
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
