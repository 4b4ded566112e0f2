// The one place that reads the errors the atproto libraries throw: by class
// where the library exports it, by message only where the class does not say
// enough (every message read is in MESSAGES, pinned to the installed libraries
// by library-errors.test.ts). It loads the OAuth client: import it where the
// client is already in use, or on an error path.
import {
  DidError,
  FetchError,
  FetchRequestError,
  FetchResponseError,
  HandleResolverError,
  OAuthCallbackError,
  OAuthResolverError,
  OAuthResponseError,
  TokenInvalidError,
  TokenRefreshError,
  TokenRevokedError,
  ValidationError,
} from '@atproto/oauth-client-node'
import { XRPCError } from '@atproto/xrpc'
import {
  AtoauthError,
  describeCause,
  ExitCode,
  NetworkError,
  networkFailure,
  oneLineMessage,
  SessionEndedError,
  toAtoauthError,
  xrpcRequestError,
} from '../errors.js'
import type { FailedStep } from './resolution-errors.js'

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

/** Why a session ended, from the message of the TokenRefreshError that says so. */
const SESSION_END_REASONS: [string, string][] = [
  [
    MESSAGES.refreshReplayed,
    'its refresh token was used twice (another copy of this session refreshed first), so the server revoked the whole session',
  ],
  [
    MESSAGES.sessionExpired,
    'it reached the 14-day limit the server sets for sessions of public clients like atoauth',
  ],
  [MESSAGES.refreshExpired, 'it was not used for too long, and its refresh token expired'],
  [
    MESSAGES.refreshUnknown,
    'the server no longer knows it (it was revoked, or logged out elsewhere)',
  ],
  [MESSAGES.deletedElsewhere, 'it is no longer in the session store'],
]

type SessionEnd = TokenRefreshError | TokenRevokedError | TokenInvalidError

/** Whether the OAuth client reports the stored session as gone for good (exit 3). */
export function isSessionEnd(err: unknown): err is SessionEnd {
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
  for (const [text, reason] of SESSION_END_REASONS) if (message.includes(text)) return reason
  return message.replace(/\.$/, '') || 'it was revoked or expired'
}

/**
 * The AtoauthError for an error of the OAuth client or of an XRPC call, or
 * undefined when it is none of theirs (then `toAtoauthError` decides). Only
 * a session the library reports as gone ends it; any XRPC error, a 401
 * included, is the failure of that one request.
 */
export function fromLibraryError(
  err: unknown,
  account?: { handle: string },
): AtoauthError | undefined {
  if (isSessionEnd(err)) {
    return new SessionEndedError(account?.handle ?? err.sub, sessionEndReason(err), err)
  }
  // Below 100: no HTTP answer (XRPCError.from a failed fetch), or an invalid one.
  if (err instanceof XRPCError && err.status >= 100) {
    const message = err.message !== err.error ? err.message : undefined
    return xrpcRequestError('The request', { status: err.status, error: err.error, message }, err)
  }
  if (err instanceof OAuthCallbackError) return callbackError(err)
  const theirs = [OAuthResolverError, OAuthResponseError, HandleResolverError, DidError, FetchError]
  if (!theirs.some((c) => err instanceof c) && !(err instanceof XRPCError)) return undefined
  if (networkFailure(err)) return undefined // toAtoauthError says "Could not reach the server"
  return new NetworkError(
    `The request failed: ${describeCause(err)}`,
    'Try again later; if it keeps failing, the server may be misconfigured.',
    err,
  )
}

/** What a failed `callback()` means for the person logging in. */
export function callbackError(err: unknown): AtoauthError | undefined {
  if (!(err instanceof OAuthCallbackError)) return undefined
  const error = err.params.get('error')
  const description = err.params.get('error_description')
  if (error === 'access_denied') {
    return new AtoauthError('access_denied', 'The authorization was denied in the browser.', {
      hint: 'Run atoauth login again and choose to authorize atoauth.',
      cause: err,
    })
  }
  const cause = err.cause
  if (error === null) {
    if (cause instanceof AtoauthError) return cause
    // The session getter's "Failed to store session", the store's error first:
    // the OAuth client then revoked the new session at the server.
    if (cause instanceof AggregateError) {
      const stored = cause.errors[0]
      const { code, hint, exitCode, details } =
        stored instanceof AtoauthError
          ? stored
          : new AtoauthError('store_failed', '', { exitCode: ExitCode.storageUnavailable })
      const why = describeCause(stored).replace(/\.$/, '')
      return new AtoauthError(
        code,
        `Could not save the session (${why}); the new session was revoked at the server.`,
        { hint, exitCode, details, cause: err },
      )
    }
    if (networkFailure(cause)) return toAtoauthError(cause)
  }
  const said =
    error === null ? describeCause(err) : `"${error}"${description ? `: ${description}` : ''}`
  return new AtoauthError('authorization_failed', `The authorization failed (${said}).`, {
    hint: 'Run atoauth login again.',
    cause: err,
    details: error === null ? undefined : { error, ...(description ? { description } : {}) },
  })
}

/** `reason`: why, in a few words; `unreachable`: no answer at all, rather than a wrong one. */
export type ResolutionFailure = { failed: FailedStep; reason: string; unreachable: boolean }

/** Which step of `authorize()` failed, and why; undefined when `err` is no resolution failure. */
export function resolutionFailure(err: unknown, identifier: string): ResolutionFailure | undefined {
  if (!(err instanceof Error) || err instanceof AtoauthError) return undefined
  const failed = failedStep(err, identifier)
  if (!failed) return undefined
  const reason =
    failed.step === 'pds'
      ? 'its DID document has no #atproto_pds service'
      : // Servers like to repeat the DID or URL the message already names.
        describe(err, failed, identifier).replace(`: ${failed.target}`, '').replace(/\.$/, '')
  return { failed, reason, unreachable: unreachable(err) !== undefined }
}

function failedStep(err: Error, identifier: string): FailedStep | undefined {
  if (err instanceof DidError && err.code === 'did-service-not-found') {
    return { step: 'pds', target: err.did }
  }
  if (err instanceof OAuthResolverError) return resolverStep(err, identifier)
  // Past resolution, `authorize()` only talks to the PAR endpoint.
  const url = requestUrlOf(err)
  if (url && (err instanceof OAuthResponseError || err instanceof FetchRequestError)) {
    return { step: 'authorization_request', target: url }
  }
  return undefined
}

/** The OAuth client's resolver names the step in the message it wraps each failure with. */
function resolverStep(err: OAuthResolverError, identifier: string): FailedStep {
  // The URL is the first word after the prefix: OAuthResolverError.from()
  // appends the first validation issue to the message, in parentheses.
  const after = (prefix: string) =>
    err.message.startsWith(prefix)
      ? (err.message.slice(prefix.length).trim().split(/\s/)[0] ?? '').replace(/\/$/, '')
      : undefined
  const pds =
    after(MESSAGES.resourceMetadataFailed) ??
    after(MESSAGES.noAuthorizationServer) ??
    after(MESSAGES.manyAuthorizationServers)
  if (pds !== undefined) return { step: 'protected_resource_metadata', target: pds }
  const issuer = after(MESSAGES.issuerMetadataFailed)
  if (issuer !== undefined) return { step: 'authorization_server_metadata', target: issuer }
  if (err.message.includes(MESSAGES.notProtectedByIssuer)) {
    // PDS "<url>" not protected by issuer "<issuer>"
    return { step: 'authorization_server_metadata', target: err.message.split('"').at(-2) ?? '' }
  }
  // "Failed to resolve identity: <input>", wrapping the handle or DID failure.
  if (err.cause instanceof DidError) return { step: 'did_document', target: err.cause.did }
  if (identifier.startsWith('did:')) return { step: 'did_document', target: identifier }
  return { step: 'handle', target: identifier }
}

/** A short reason for the person, mostly from the innermost cause. */
function describe(err: Error, failed: FailedStep, identifier: string): string {
  const cause = rootCause(err)
  const says = (text: string) => cause.message.includes(text)
  // Not exported by @atproto/oauth-client-node: known by its name.
  if (cause.constructor.name === 'IdentityResolverError') {
    if (says(MESSAGES.handleWithoutDid)) return 'no DID found for it'
    if (says(MESSAGES.invalidHandle)) {
      // The resolver reads anything that is not an atproto DID as a handle.
      return identifier.startsWith('did:')
        ? 'atoauth can log in with a did:plc, or a did:web without a path (and a port only on localhost)'
        : 'not a valid handle'
    }
  }
  if (cause instanceof HandleResolverError && says(MESSAGES.resolverGaveNoDid)) {
    return 'the handle resolver returned no DID for it'
  }
  if (cause instanceof ValidationError) return `invalid document (${oneLineMessage(cause)})`
  if (cause instanceof SyntaxError) return 'the answer is not valid JSON'
  if (cause instanceof FetchResponseError) {
    const { response } = cause
    if (says(MESSAGES.unexpectedContentType)) {
      const type = response.headers.get('content-type')?.split(';')[0] || 'no content type'
      return `the answer is ${type}, not JSON`
    }
    const status = `HTTP ${response.status}`
    return says(MESSAGES.unexpectedStatus) || !cause.message
      ? `${status} from ${response.url || 'the server'}`
      : `${oneLineMessage(cause)} (${status})`
  }
  if (cause instanceof OAuthResolverError) {
    // Thrown without a cause: the metadata parsed, but does not fit atproto.
    if (says(MESSAGES.noAuthorizationServer)) return 'its metadata names no authorization server'
    if (says(MESSAGES.manyAuthorizationServers)) {
      return 'its metadata names more than one authorization server'
    }
    if (says(MESSAGES.notProtectedByIssuer)) {
      return 'its metadata does not list the PDS among the resources it protects'
    }
  }
  if (cause.message.startsWith(MESSAGES.invalidIssuer)) {
    const field = failed.step === 'authorization_server_metadata' ? 'issuer' : 'resource'
    const named = cause.message.slice(MESSAGES.invalidIssuer.length)
    return `its ${field} is "${named}", not "${failed.target}"`
  }
  const why = unreachable(cause)
  if (why) {
    const url = requestUrlOf(err)
    return url && !url.startsWith(failed.target) ? `${why} (${url})` : why
  }
  return oneLineMessage(cause)
}

function unreachable(err: Error): string | undefined {
  // Or a request refused before it was sent (the handle resolver's SSRF checks…).
  const root = rootCause(err)
  return (
    networkFailure(err) ??
    (root instanceof FetchRequestError ? root.message.toLowerCase() : undefined)
  )
}

/** The innermost Error of the cause chain: the one that says what actually went wrong. */
function rootCause(err: Error): Error {
  let current = err
  while (current.cause instanceof Error) current = current.cause
  return current
}

function requestUrlOf(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const url =
      e instanceof FetchRequestError
        ? e.request.url
        : e instanceof FetchResponseError || e instanceof OAuthResponseError
          ? e.response.url
          : undefined
    if (url) return url
  }
  return undefined
}
