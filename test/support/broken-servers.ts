// Throwaway loopback HTTP servers that stand in for a PDS or an authorization
// server that is down, hangs or misbehaves, so that tests can prove `login`
// fails fast and says which step broke.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { freeLoopbackPort } from '../sandbox/sandbox.ts'

export type BrokenServer = {
  /** The server's origin, e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string
  /** Paths of the requests received, in order. */
  requests: string[]
  close(): Promise<void>
}

type Handler = (req: IncomingMessage, res: ServerResponse, origin: string) => void

async function startServer(handler: Handler): Promise<BrokenServer> {
  const sockets = new Set<Socket>()
  const requests: string[] = []
  let origin = ''
  const server = createServer((req, res) => {
    requests.push((req.url ?? '').split('?')[0] ?? '')
    handler(req, res, origin)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: origin,
    requests,
    close: async () => {
      // A hanging server holds its connections open: cut them, or close() waits forever.
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** The origin of a loopback port that nothing listens on (connections are refused). */
export async function closedPortUrl(): Promise<string> {
  return `http://127.0.0.1:${await freeLoopbackPort()}`
}

/** Accepts connections and reads requests, but never answers. */
export function hangingServer(): Promise<BrokenServer> {
  return startServer(() => {})
}

/** Answers every request with a web page, as a misconfigured host or a captive portal would. */
export function htmlServer(): Promise<BrokenServer> {
  return startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end('<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>')
  })
}

/** Claims to answer JSON, but the body does not parse. */
export function invalidJsonServer(): Promise<BrokenServer> {
  return startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{"resource": "http://127.0.0.1", oops')
  })
}

export type AuthorizationServerFault =
  | 'wrong-issuer'
  | 'missing-fields'
  | 'not-json'
  /** Valid metadata, but the pushed authorization request never gets an answer. */
  | 'par-hangs'
  /** Valid metadata, but the pushed authorization request is refused. */
  | 'par-refused'

/**
 * A PDS whose protected resource metadata is valid and names itself as the
 * authorization server, and whose authorization server is broken.
 */
export function brokenAuthorizationServer(fault: AuthorizationServerFault): Promise<BrokenServer> {
  return startServer((req, res, origin) => {
    const path = (req.url ?? '').split('?')[0]
    if (path === '/.well-known/oauth-protected-resource') {
      return json(res, { resource: origin, authorization_servers: [origin] })
    }
    if (path === '/oauth/par' && fault === 'par-hangs') return
    if (path === '/oauth/par' && fault === 'par-refused') {
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: 'invalid_request', error_description: 'Not today' }))
      return
    }
    if (path !== '/.well-known/oauth-authorization-server') {
      res.writeHead(404).end()
      return
    }
    const valid = validAuthorizationServerMetadata(origin)
    switch (fault) {
      case 'par-hangs':
      case 'par-refused':
        return json(res, valid)
      case 'wrong-issuer':
        return json(res, { ...valid, issuer: 'https://someone-else.example.com' })
      case 'missing-fields': {
        const { authorization_endpoint: _a, token_endpoint: _t, ...incomplete } = valid
        return json(res, incomplete)
      }
      case 'not-json':
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('<html>not json</html>')
    }
  })
}

function validAuthorizationServerMetadata(origin: string) {
  return {
    issuer: origin,
    authorization_endpoint: `${origin}/oauth/authorize`,
    token_endpoint: `${origin}/oauth/token`,
    pushed_authorization_request_endpoint: `${origin}/oauth/par`,
    require_pushed_authorization_requests: true,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['ES256'],
    dpop_signing_alg_values_supported: ['ES256'],
    scopes_supported: ['atproto', 'transition:generic'],
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
  }
}

function json(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}
