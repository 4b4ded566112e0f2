// Why a stored session stopped working, in words a person can act on. The
// OAuth client reports these as TokenRefreshError / TokenRevokedError /
// TokenInvalidError carrying the authorization server's error_description.

/** The server's own reasons (atproto's oauth-provider), explained. */
const EXPLAINED: [RegExp, string][] = [
  [
    /refresh token replayed/i,
    'its refresh token was used twice (another copy of this session refreshed first), so the server revoked the whole session',
  ],
  [
    /session expired/i,
    'it reached the 14-day limit the server sets for sessions of public clients like atoauth',
  ],
  [/refresh token expired/i, 'it was not used for too long, and its refresh token expired'],
  [
    /invalid refresh token/i,
    'the server no longer knows it (it was revoked, or logged out elsewhere)',
  ],
  [/deleted by another process/i, 'it is no longer in the session store'],
]

/** A one-line reason for the end of a session, from the error the OAuth client threw. */
export function sessionEndReason(err: unknown): string {
  const name = err instanceof Error ? err.constructor.name : ''
  if (name === 'TokenRevokedError') return 'it was revoked'
  if (name === 'TokenInvalidError') return 'the server no longer accepts it'
  const message = err instanceof Error ? err.message : String(err)
  for (const [pattern, reason] of EXPLAINED) if (pattern.test(message)) return reason
  return message.replace(/\.$/, '') || 'it was revoked or expired'
}

/** Whether this error means the stored session is gone for good (not a network hiccup). */
export function isSessionEnd(err: unknown): boolean {
  const name = err instanceof Error ? err.constructor.name : ''
  return ['TokenRefreshError', 'TokenRevokedError', 'TokenInvalidError'].includes(name)
}
