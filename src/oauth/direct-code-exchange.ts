// The end of a login that started without the OAuth library
// (direct-authorization.ts): the authorization code is exchanged for tokens
// (RFC 6749 §4.1.3 with PKCE and a DPoP proof), and the answer is checked as
// the atproto OAuth profile requires before anything is kept, the checks the
// library's callback() makes:
//
// - the callback's `iss` is the issuer this login went to (RFC 9207), and is
//   there when the server says it always sends it;
// - the tokens are DPoP-bound, carry the `atproto` scope and no OpenID
//   id_token, and name the account (`sub`) as a DID;
// - that account's authorization server is this issuer. For the account the
//   login started from, the lookups that found this issuer were made by this
//   login a few moments ago: its DID document named the PDS, whose metadata
//   named the issuer. For any other account (the person chose another one in
//   the browser), the caller resolves it afresh.
//
// Tokens that fail a check are revoked. The session returned is the one the
// library would store (NodeSavedSession), so every later command restores and
// refreshes it through the library as usual.
import type { JsonWebKey } from 'node:crypto'
import type { NodeSavedSession } from '@atproto/oauth-client-node'
import { AtoauthError } from '../errors.js'
import { printable } from './callback-params.js'
import type { DirectAuthorization } from './direct-authorization.js'
import { type DirectSend, postForm } from './dpop-form-post.js'
import { isRecord } from './plain-http.js'

/** An account's authorization server and PDS, as a fresh resolution found them. */
export type AccountAuthority = { issuer: string; pds: string; handle: string | undefined }

export type CodeExchangeRequest = {
  authorization: DirectAuthorization
  /** The callback's parameters, already known to carry this login's state and a code. */
  params: URLSearchParams
  clientId: string
  redirectUri: string
  send: DirectSend
  /** Resolves an account other than the one the login started from. */
  otherAccount: (did: string) => Promise<AccountAuthority>
  now?: () => number
}

export type ExchangedSession = {
  did: string
  handle: string | undefined
  session: NodeSavedSession
  /** The authorization server's latest DPoP nonce (worth keeping for the next request). */
  nonce: { origin: string; value: string } | undefined
}

export async function exchangeCode(request: CodeExchangeRequest): Promise<ExchangedSession> {
  const { authorization, params, send } = request
  const { server, dpopJwk } = authorization
  const now = request.now ?? Date.now

  const iss = params.get('iss')
  if (iss !== null && iss !== server.issuer) {
    throw failure(
      'issuer_mismatch',
      `The callback names another authorization server (${printable(iss)}) than the one this login went to (${server.issuer}).`,
    )
  }
  if (iss === null && server.issParameterSupported) {
    throw failure(
      'callback_malformed',
      `The callback does not name its authorization server ("iss"), which ${server.issuer} always does.`,
    )
  }

  const tokenUrl = server.tokenEndpoint
  // The PAR's nonce is the token endpoint's too when both are the server's.
  let nonce = tokenUrl.origin === server.parEndpoint.origin ? authorization.nonce : undefined
  const startedAt = now()
  const answer = await postForm(
    tokenUrl,
    {
      client_id: request.clientId,
      grant_type: 'authorization_code',
      redirect_uri: request.redirectUri,
      code: params.get('code') ?? '',
      code_verifier: authorization.verifier,
    },
    { jwk: dpopJwk, nonce },
    send,
  )
  nonce = answer.nonce
  const revoke = (token: string) =>
    revokeToken(authorization, request.clientId, token, nonce, send).catch(() => {})

  if (answer.status !== 200) {
    const error = isRecord(answer.json) ? answer.json : {}
    const what = typeof error.error === 'string' ? printable(error.error) : `HTTP ${answer.status}`
    const description =
      typeof error.error_description === 'string' ? `: ${printable(error.error_description)}` : ''
    throw failure(
      'token_request_failed',
      `${server.issuer} refused to exchange the authorization code for tokens (${what}${description}).`,
    )
  }
  const tokens = answer.json
  const problem = tokenResponseProblem(tokens)
  if (problem || !isRecord(tokens)) {
    if (isRecord(tokens) && typeof tokens.access_token === 'string') {
      await revoke(tokens.access_token)
    }
    throw failure(
      'token_response_invalid',
      `${server.issuer} answered the code exchange with tokens atoauth must not use: ${problem ?? 'not a JSON object'}.`,
      'Nothing was stored. If it keeps happening, tell the operator of that server.',
    )
  }

  const did = tokens.sub as string
  const accessToken = tokens.access_token as string
  const refreshToken = tokens.refresh_token as string | undefined
  const account =
    did === server.did
      ? { issuer: server.issuer, pds: server.pds, handle: server.handle }
      : await request.otherAccount(did).catch(async (err: unknown) => {
          await revoke(refreshToken ?? accessToken)
          throw err
        })
  if (account.issuer !== server.issuer) {
    await revoke(refreshToken ?? accessToken)
    throw failure(
      'issuer_mismatch',
      `The tokens are for ${did}, whose authorization server is ${account.issuer}, not ${server.issuer}; they were revoked.`,
    )
  }

  const expiresIn = tokens.expires_in as number | undefined
  return {
    did,
    handle: account.handle,
    session: {
      dpopJwk: dpopJwk as NodeSavedSession['dpopJwk'],
      authMethod: { method: 'none' },
      tokenSet: {
        aud: account.pds,
        sub: did as NodeSavedSession['tokenSet']['sub'],
        iss: server.issuer as NodeSavedSession['tokenSet']['iss'],
        scope: tokens.scope as NodeSavedSession['tokenSet']['scope'],
        refresh_token: refreshToken,
        access_token: accessToken,
        token_type: 'DPoP',
        expires_at:
          expiresIn === undefined
            ? undefined
            : new Date(startedAt + expiresIn * 1000).toISOString(),
      },
    },
    nonce: nonce ? { origin: tokenUrl.origin, value: nonce } : undefined,
  }
}

/** What makes a token response one atoauth must not use, or undefined when it is fine. */
export function tokenResponseProblem(tokens: unknown): string | undefined {
  if (!isRecord(tokens)) return 'not a JSON object'
  if (typeof tokens.access_token !== 'string' || !tokens.access_token) return 'no access_token'
  if (tokens.token_type !== 'DPoP') return 'the token type is not DPoP'
  if (typeof tokens.sub !== 'string' || !/^did:(plc|web):/.test(tokens.sub)) {
    return 'the account ("sub") is not an atproto DID'
  }
  if (typeof tokens.scope !== 'string' || !tokens.scope.split(' ').includes('atproto')) {
    return 'the scope lacks "atproto"'
  }
  if (tokens.refresh_token !== undefined && typeof tokens.refresh_token !== 'string') {
    return 'the refresh_token is not a string'
  }
  if (
    tokens.expires_in !== undefined &&
    (typeof tokens.expires_in !== 'number' || !Number.isFinite(tokens.expires_in))
  ) {
    return 'expires_in is not a number'
  }
  if (tokens.id_token !== undefined) return 'it carries an OpenID id_token'
  return undefined
}

/**
 * Ends `token` (RFC 7009) at the login's authorization server, when it has a
 * revocation endpoint. Throws when the request fails: callers that only try
 * their best catch it.
 */
export async function revokeToken(
  authorization: Pick<DirectAuthorization, 'server' | 'dpopJwk'>,
  clientId: string,
  token: string,
  nonce: string | undefined,
  send: DirectSend,
): Promise<void> {
  const url = authorization.server.revocationEndpoint
  if (!url) return
  const jwk: JsonWebKey = authorization.dpopJwk
  await postForm(url, { client_id: clientId, token }, { jwk, nonce }, send)
}

function failure(
  code: string,
  message: string,
  hint = 'Nothing was stored. Run atoauth login again.',
) {
  return new AtoauthError(code, message, { hint })
}
