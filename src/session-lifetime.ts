// How long a session lives. The atproto reference authorization server ends a
// public client's session 14 days after login, however often it is refreshed;
// atoauth warns in the last 3 days so nobody finds out from a failing job.

export const SESSION_LIFETIME_MS = 14 * 86_400_000
const ENDING_SOON_MS = 3 * 86_400_000

export type SessionLife = {
  state: 'active' | 'ending_soon' | 'ended' | 'needs_login'
  loginAt: string
  endsAt: string
  ageMs: number
  remainingMs: number // 0 once the end has passed
  reason?: string // why a new login is needed: set exactly when one is
}

export function sessionLife(
  { loginAt, needsLogin }: { loginAt: string; needsLogin?: { reason: string } },
  now: Date,
): SessionLife {
  const login = Date.parse(loginAt)
  const remainingMs = Math.max(0, login + SESSION_LIFETIME_MS - now.getTime())
  const life = {
    loginAt,
    endsAt: new Date(login + SESSION_LIFETIME_MS).toISOString(),
    ageMs: Math.max(0, now.getTime() - login),
    remainingMs,
  }
  if (needsLogin) return { ...life, state: 'needs_login', reason: needsLogin.reason }
  if (remainingMs === 0) {
    const reason = 'it reached the 14-day limit for sessions of public clients'
    return { ...life, state: 'ended', reason }
  }
  return { ...life, state: remainingMs < ENDING_SOON_MS ? 'ending_soon' : 'active' }
}

const UNITS = Object.entries({ d: 86_400_000, h: 3_600_000, min: 60_000, s: 1000 })

/** "13 d 22 h", "5 h 3 min", "42 s": the two largest units. */
export function formatDuration(ms: number): string {
  const largest = UNITS.findIndex(([, size]) => ms >= size)
  if (largest === -1) return '0 s'
  let rest = ms
  const parts = UNITS.slice(largest, largest + 2).map(([unit, size]) => {
    const n = Math.floor(rest / size)
    rest -= n * size
    return n > 0 ? `${n} ${unit}` : ''
  })
  return parts.join(' ').trim()
}
