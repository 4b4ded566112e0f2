// errors/ is the one place that reads the atproto libraries' errors: by class where exported, by
// message only where the class says too little (every message read is in MESSAGES, pinned to the
// installed libraries by library-errors.test.ts). It loads the OAuth client: import it where the
// client is already in use, or on an error path.
import {
  DidError,
  FetchError,
  HandleResolverError,
  OAuthCallbackError,
  OAuthResolverError,
  OAuthResponseError,
  TokenInvalidError,
  TokenRefreshError,
  TokenRevokedError,
} from '@atproto/oauth-client-node'
import {
  AtoauthError,
  describeCause,
  NetworkError,
  networkFailure,
  SessionEndedError,
  sessionNotKept,
  toAtoauthError,
} from '../errors.js'

/** The libraries' own words, where atoauth reads a message. */
export const MESSAGES = {
  // @atproto/oauth-provider: the error_description of a refused refresh.
  refreshReplayed: 'Refresh token replayed',
  sessionExpired: 'Session expired',
  refreshExpired: 'Refresh token expired',
  refreshUnknown: 'Invalid refresh token',
  // @atproto/oauth-client
  deletedElsewhere: 'The session was deleted by another process',
  resourceMetadataFailed: 'Failed to resolve OAuth server metadata for resource:',
  issuerMetadataFailed: 'Failed to resolve OAuth server metadata for issuer:',
  noAuthorizationServer: 'No authorization servers found for PDS:',
  manyAuthorizationServers: 'Unable to determine authorization server for PDS:',
  notProtectedByIssuer: 'not protected by issuer',
  unexpectedStatus: 'Unexpected status code',
  unexpectedContentType: 'Unexpected content type',
  invalidIssuer: 'Invalid issuer ',
  // @atproto-labs/handle-resolver and @atproto-labs/identity-resolver
  resolverGaveNoDid: 'Invalid status code from resolveHandle method',
  invalidHandle: 'Invalid handle',
  handleWithoutDid: 'does not resolve to a DID',
} as const

/** Why a session ended, by the message of the TokenRefreshError that says so. */
const SESSION_END_REASONS = Object.entries({
  [MESSAGES.refreshReplayed]:
    'its refresh token was used twice (another copy of this session refreshed first), so the server revoked the whole session',
  [MESSAGES.sessionExpired]:
    'it reached the 14-day limit the server sets for sessions of public clients like atoauth',
  [MESSAGES.refreshExpired]: 'it was not used for too long, and its refresh token expired',
  [MESSAGES.refreshUnknown]:
    'the server no longer knows it (it was revoked, or logged out elsewhere)',
  [MESSAGES.deletedElsewhere]: 'it is no longer in the session store',
})

/** Whether `err` is a library's failure of a request or of a resolution. */
export function isLibraryError(err: unknown): err is Error {
  const theirs = [OAuthResolverError, OAuthResponseError, HandleResolverError, DidError, FetchError]
  return theirs.some((c) => err instanceof c)
}

/** Whether the OAuth client reports the stored session as gone for good (exit 3). */
export function isSessionEnd(
  err: unknown,
): err is TokenRefreshError | TokenRevokedError | TokenInvalidError {
  return [TokenRefreshError, TokenRevokedError, TokenInvalidError].some((c) => err instanceof c)
}

/** A revocation we asked for (logout, a replaced session): not an ending to report. */
export function isRevokedByRequest(err: unknown): boolean {
  return err instanceof TokenRevokedError
}

/** A one-line reason for the end of a session, in words a person can act on. */
export function sessionEndReason(err: unknown): string {
  if (err instanceof TokenRevokedError) return 'it was revoked'
  if (err instanceof TokenInvalidError) return 'the PDS no longer accepts it'
  const message = err instanceof Error ? err.message : String(err)
  const known = SESSION_END_REASONS.find(([text]) => message.includes(text))
  return known?.[1] ?? (message.replace(/\.$/, '') || 'it was revoked or expired')
}

// The AtoauthError for an error of the OAuth client, or undefined when it is
// none of theirs (then toAtoauthError decides). Only a session the library reports gone ends it.
export function fromLibraryError(err: unknown, account?: { handle: string }) {
  if (isSessionEnd(err)) {
    return new SessionEndedError(account?.handle ?? err.sub, sessionEndReason(err), err)
  }
  if (err instanceof OAuthCallbackError) return callbackError(err)
  if (!isLibraryError(err)) return undefined
  if (networkFailure(err)) return undefined // toAtoauthError says "Could not reach the server"
  const hint = 'Try again later; if it keeps failing, the server may be misconfigured.'
  return new NetworkError(`The request failed: ${describeCause(err)}`, hint, err)
}

/** What a failed `callback()` means for the person logging in. */
function callbackError(err: OAuthCallbackError): AtoauthError {
  const error = err.params.get('error')
  const description = err.params.get('error_description')?.replace(/\s+/g, ' ').slice(0, 300)
  if (error === 'access_denied') {
    const why = description ? ` (${description})` : ''
    return new AtoauthError('access_denied', `The authorization was denied in the browser${why}.`, {
      hint: 'Run atoauth login again and choose to authorize atoauth.',
      cause: err,
    })
  }
  const { cause } = err
  if (error === null && cause instanceof AtoauthError) return cause
  // The session getter's "Failed to store session", the store's error first:
  // the OAuth client then revoked the new session at the server.
  if (error === null && cause instanceof AggregateError) return sessionNotKept(cause.errors[0], err)
  if (error === null && networkFailure(cause)) return toAtoauthError(cause)
  const said =
    error === null ? describeCause(err) : `"${error}"${description ? `: ${description}` : ''}`
  return new AtoauthError('authorization_failed', `The authorization failed (${said}).`, {
    hint: 'Run atoauth login again.',
    cause: err,
    details: error === null ? undefined : { error, ...(description ? { description } : {}) },
  })
}
