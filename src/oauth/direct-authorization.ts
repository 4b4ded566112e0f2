// The start of a login without the OAuth library: find the account's
// authorization server and send it the pushed authorization request (PAR)
// of a public client, with PKCE and a DPoP proof, over node:http(s).
//
// Why: loading the library (and the fetch it needs) takes longer than the
// six round trips before the browser can open. Done this way the URL is
// shown sooner, and the library loads while the person is in the browser.
// It takes over again for the callback: the saved state returned here is
// exactly what the library's own authorize() keeps (NodeSavedState), so its
// callback() exchanges the code, checks the issuer and the account, and
// stores the session as usual.
//
// Whenever anything is not plainly fine it returns undefined, and the caller
// runs the library's authorize() from the start.
import { createHash, generateKeyPairSync, type JsonWebKey, randomBytes } from 'node:crypto'
import {
  type AuthorizationServer,
  type DirectGet,
  findAuthorizationServer,
  type ResolutionSettings,
} from './direct-resolution.js'
import { asksForNonce, dpopProof } from './dpop-proof.js'
import { headerValue, mediaType, type PlainResponse } from './plain-http.js'

/** One request, answered in full (the caller bounds it and names itself in it). */
export type DirectSend = (
  url: URL,
  init: {
    method: 'GET' | 'POST'
    headers: Record<string, string>
    body?: string
    publicOnly?: boolean
    maxBytes?: number
    signal?: AbortSignal
  },
) => Promise<PlainResponse>

export type DirectAuthorizationRequest = {
  identifier: string
  clientId: string
  redirectUri: string
  scope: string
  settings: ResolutionSettings
  send: DirectSend
  /** Awaited before the authorization request is sent (a failure ends it there). */
  beforePush?: () => Promise<void>
}

/** What the library's authorize() keeps for its callback (NodeSavedState). */
export type SavedAuthorizationState = {
  iss: string
  dpopJwk: JsonWebKey
  authMethod: { method: 'none' }
  verifier: string
}

export type DirectAuthorization = {
  url: URL
  state: string
  savedState: SavedAuthorizationState
  /** The authorization server's DPoP nonce, for the code exchange to start with. */
  nonce: { origin: string; value: string } | undefined
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
  const body = new URLSearchParams({
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state,
    login_hint: server.loginHint,
    response_mode: 'query',
    response_type: 'code',
    scope: request.scope,
  }).toString()

  await request.beforePush?.()
  const pushed = await pushAuthorizationRequest(server, dpopJwk, body, send)
  if (!pushed) return undefined
  const url = new URL(server.authorizationEndpoint)
  url.searchParams.set('client_id', request.clientId)
  url.searchParams.set('request_uri', pushed.requestUri)
  return {
    url,
    state,
    savedState: { iss: server.issuer, dpopJwk, authMethod: { method: 'none' }, verifier },
    nonce: pushed.nonce ? { origin: server.parEndpoint.origin, value: pushed.nonce } : undefined,
  }
}

/**
 * RFC 9126 with a DPoP proof. A server that wants a nonce answers the first
 * try with `use_dpop_nonce` and one (a fresh login has none): one retry.
 */
async function pushAuthorizationRequest(
  server: AuthorizationServer,
  dpopJwk: JsonWebKey,
  body: string,
  send: DirectSend,
): Promise<{ requestUri: string; nonce: string | undefined } | undefined> {
  const url = server.parEndpoint
  const attempt = async (nonce: string | undefined) => {
    const response = await send(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        dpop: dpopProof(dpopJwk, 'ES256', { method: 'POST', url, nonce }),
      },
      body,
    })
    const json =
      mediaType(response) === 'application/json'
        ? await response.json().catch(() => undefined)
        : undefined
    return { response, json, nonce: headerValue(response.headers['dpop-nonce']) ?? nonce }
  }
  let answer = await attempt(undefined)
  const error = isRecord(answer.json) ? answer.json.error : undefined
  if (asksForNonce(answer.response.status, undefined, error) && answer.nonce) {
    answer = await attempt(answer.nonce)
  }
  const { response, json, nonce } = answer
  if (response.status !== 201 && response.status !== 200) return undefined
  const requestUri = isRecord(json) ? json.request_uri : undefined
  return typeof requestUri === 'string' ? { requestUri, nonce } : undefined
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
