// The fast path of a warm command: while the stored access token is valid, one
// XRPC request needs no OAuth library (loading it costs more than the request).
// It is signed with a DPoP proof made with the session's own key and the nonce
// the last run cached. Whenever anything is not plainly fine (a token close to
// expiry, a key it cannot use, a refused token) it returns undefined, and the
// library takes over: it refreshes under the lock and decides whether the
// session has ended.
import type { Context } from '../context.js'
import { startDeadline } from '../deadline.js'
import { MAX_RESPONSE_BYTES, noAnswerWithin, REQUEST_TIMEOUT_MS } from '../request-bounds.js'
import type { Settings } from '../settings.js'
import { openOAuthCache } from '../store/disk-cache.js'
import { USER_AGENT } from '../version.js'
import type { ResolvedAccount } from './accounts.js'
import { asksForNonce, type DpopJwk, dpopAlgorithm, dpopProof } from './dpop-proof.js'
import { headerValue, nodeUsesEnvProxy, type PlainResponse, sendOnce } from './plain-http.js'

/** The parts of the saved session (NodeSavedSession) this path reads. */
export type SavedSession = {
  dpopJwk: DpopJwk
  tokenSet: {
    aud: string
    sub: string
    scope: string
    token_type?: string
    access_token: string
    expires_at?: string
  }
}

/** One XRPC call; the body, if any, is sent again on the nonce retry. */
export type WarmRequestInit = {
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  body?: Uint8Array
}

/** An XRPC answer, from either path; `token` is the access token the request was made with. */
export type XrpcAnswer = {
  status: number
  statusText: string
  ok: boolean
  contentType: string | undefined
  bytes: Uint8Array
  token: { aud: string; scope: string; expiresAt: Date | undefined }
}

/** The last minute is the library's: it refreshes a token that expires within 10–40 s. */
const MIN_REMAINING_MS = 60_000

/** Both tries together. */
export const WARM_REQUEST_TIMEOUT_MS = REQUEST_TIMEOUT_MS

/** Undefined when the warm path does not apply (an exported session, one marked ended) or fails. */
export async function warmAccountRequest(
  ctx: Context,
  resolved: Pick<ResolvedAccount, 'account' | 'storage' | 'sessionStore' | 'needsLogin'>,
  request: WarmRequestInit,
): Promise<XrpcAnswer | undefined> {
  const { account, storage, sessionStore } = resolved
  ctx.actingFor = account
  if (resolved.needsLogin || storage !== 'keychain') return undefined
  const saved = await sessionStore.get(account.did)
  // A session that is not this account's is the full path's to reject.
  if (saved?.tokenSet?.sub !== account.did) return undefined
  return warmRequest(ctx.settings, saved, request, ctx.signal)
}

/** Sends `request` to the session's PDS, or says (undefined) that the full path must do it. */
export async function warmRequest(
  settings: Settings,
  saved: SavedSession,
  request: WarmRequestInit,
  signal: AbortSignal,
): Promise<XrpcAnswer | undefined> {
  const { tokenSet, dpopJwk } = saved
  const expiresAt = tokenSet.expires_at ? Date.parse(tokenSet.expires_at) : Number.NaN
  const fresh = expiresAt - Date.now() > MIN_REMAINING_MS
  const alg = dpopAlgorithm(dpopJwk)
  if (!fresh || tokenSet.token_type !== 'DPoP' || !alg || nodeUsesEnvProxy()) return undefined
  const url = new URL(request.path, tokenSet.aud)
  const nonces = openOAuthCache<string>(settings.cacheDir, 'dpopNonces')
  // Ctrl-C still cancels with its own reason; the timeout says which server.
  const deadline = startDeadline(
    WARM_REQUEST_TIMEOUT_MS,
    signal,
    noAnswerWithin(url.origin, WARM_REQUEST_TIMEOUT_MS),
  )
  const bounded = deadline.signal
  const send = async (nonce: string | undefined) => {
    const response = await sendOnce(url, {
      method: request.method,
      headers: {
        ...request.headers,
        'user-agent': USER_AGENT,
        authorization: `DPoP ${tokenSet.access_token}`,
        dpop: dpopProof(dpopJwk, alg, {
          method: request.method,
          url,
          nonce,
          accessToken: tokenSet.access_token,
        }),
      },
      body: request.body,
      signal: bounded,
      maxBytes: MAX_RESPONSE_BYTES,
    })
    const next = headerValue(response.headers['dpop-nonce'])
    if (next && next !== nonce) await nonces.set(url.origin, next)
    return { response, next }
  }

  try {
    const sent = await nonces.get(url.origin)
    const first = await send(sent)
    if (first.response.status !== 401) return answerOf(first.response, tokenSet)
    // RFC 9449 §9: the server wants a (fresh) nonce; one retry with a new one,
    // as the library does. A 401 means the request was not carried out, so the
    // full path may send it again (after a refresh, if the token was refused).
    const challenge = headerValue(first.response.headers['www-authenticate'])
    if (asksForNonce(challenge) && first.next && first.next !== sent) {
      const second = await send(first.next)
      if (second.response.status !== 401) return answerOf(second.response, tokenSet)
    }
    return undefined
  } finally {
    deadline.clear()
  }
}

function answerOf(response: PlainResponse, tokenSet: SavedSession['tokenSet']): XrpcAnswer {
  const { status, statusText, ok, headers, body } = response
  const expiresAt = tokenSet.expires_at ? new Date(tokenSet.expires_at) : undefined
  const token = { aud: tokenSet.aud, scope: tokenSet.scope, expiresAt }
  return { status, statusText, ok, contentType: headers['content-type'], bytes: body, token }
}
