// The atproto reference authorization server ends a public client's session
// this long after login, however often it is refreshed.
export const SESSION_LIFETIME_MS = 14 * 24 * 60 * 60 * 1000
