// The start of a login without the OAuth library: find the account's
// authorization server and send it the pushed authorization request (PAR)
// of a public client, with PKCE and a DPoP proof, over node:http(s).
//
// Why: loading the library (and the fetch it needs) takes longer than the
// six round trips before the browser can open, and its first run through a
// code exchange costs as much again. Done this way the URL is shown sooner,
// and direct-code-exchange.ts finishes the login from what is returned here.
//
// Whenever anything is not plainly fine it returns undefined, and the caller
// runs the library's authorize() from the start (the library then finishes
// that login too).
import { createHash, generateKeyPairSync, type JsonWebKey, randomBytes } from 'node:crypto'
import {
  type AuthorizationServer,
  type DirectGet,
  findAuthorizationServer,
  type ResolutionSettings,
} from './direct-resolution.js'
import { type DirectSend, postForm } from './dpop-form-post.js'
import { isRecord } from './plain-http.js'

export type DirectAuthorizationRequest = {
  identifier: string
  scope: string
  settings: ResolutionSettings
  send: DirectSend
  /**
   * Awaited before the authorization request is sent (a failure ends it
   * there): the client it is for, and where the browser comes back to.
   */
  beforePush: () => Promise<{ clientId: string; redirectUri: string }>
}

export type DirectAuthorization = {
  url: URL
  state: string
  /** The account and its authorization server, as found. */
  server: AuthorizationServer
  /** The session's DPoP key (private JWK, ES256), and the PKCE verifier. */
  dpopJwk: JsonWebKey
  verifier: string
  /** The authorization server's latest DPoP nonce, for the code exchange to start with. */
  nonce: string | undefined
}

export async function authorizeDirectly(
  request: DirectAuthorizationRequest,
): Promise<DirectAuthorization | undefined> {
  const { send } = request
  const get: DirectGet = (url, { accept, ...rest }) =>
    send(url, { method: 'GET', headers: { accept }, ...rest })
  const server = await findAuthorizationServer(request.identifier, request.settings, get)
  if (!server) return undefined

  const verifier = randomBytes(32).toString('base64url')
  const state = randomBytes(16).toString('base64url')
  // A fresh key for this login's session (ES256: every atproto server takes it).
  const dpopJwk: JsonWebKey = {
    ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }),
    alg: 'ES256',
  }
  const { clientId, redirectUri } = await request.beforePush()
  const form = {
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state,
    login_hint: server.loginHint,
    response_mode: 'query',
    response_type: 'code',
    scope: request.scope,
  }

  // RFC 9126.
  const pushed = await postForm(server.parEndpoint, form, { jwk: dpopJwk, nonce: undefined }, send)
  const requestUri = isRecord(pushed.json) ? pushed.json.request_uri : undefined
  if ((pushed.status !== 201 && pushed.status !== 200) || typeof requestUri !== 'string') {
    return undefined
  }
  const url = new URL(server.authorizationEndpoint)
  url.searchParams.set('client_id', clientId)
  url.searchParams.set('request_uri', requestUri)
  return { url, state, server, dpopJwk, verifier, nonce: pushed.nonce }
}
