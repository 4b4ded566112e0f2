// How long a session lives. The atproto reference authorization server ends a
// public client's session 14 days after login, however often it is refreshed;
// atoauth warns in the last 3 days so nobody finds out from a failing job.

export const SESSION_LIFETIME_MS = 14 * 24 * 60 * 60 * 1000
export const ENDING_SOON_MS = 3 * 24 * 60 * 60 * 1000

export type SessionState = 'active' | 'ending_soon' | 'ended' | 'needs_login'

export type SessionLife = {
  state: SessionState
  loginAt: string
  endsAt: string
  /** Milliseconds since the login. */
  ageMs: number
  /** Milliseconds until the end; 0 once it has passed. */
  remainingMs: number
  /** Why a new login is needed, when it is. */
  reason?: string
}

export function sessionLife(
  account: { loginAt: string; needsLogin?: { reason: string } },
  now: Date,
): SessionLife {
  const login = Date.parse(account.loginAt)
  const end = login + SESSION_LIFETIME_MS
  const remainingMs = Math.max(0, end - now.getTime())
  const base = {
    loginAt: account.loginAt,
    endsAt: new Date(end).toISOString(),
    ageMs: Math.max(0, now.getTime() - login),
    remainingMs,
  }
  if (account.needsLogin)
    return { ...base, state: 'needs_login', reason: account.needsLogin.reason }
  if (remainingMs === 0) {
    return {
      ...base,
      state: 'ended',
      reason: 'it reached the 14-day limit for sessions of public clients',
    }
  }
  return { ...base, state: remainingMs < ENDING_SOON_MS ? 'ending_soon' : 'active' }
}

/** "13 d 22 h", "5 h 3 min", "42 s": the two largest units. */
export function formatDuration(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['min', 60_000],
    ['s', 1000],
  ]
  const parts: string[] = []
  let rest = Math.max(0, ms)
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size)
    rest -= n * size
    if (n > 0 || parts.length > 0) parts.push(`${n} ${unit}`)
    if (parts.length === 2) break
  }
  return parts.filter((p) => !p.startsWith('0 ')).join(' ') || '0 s'
}
