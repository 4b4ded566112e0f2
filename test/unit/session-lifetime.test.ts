import { describe, expect, it } from 'vitest'
import { formatDuration, sessionLife } from '../../src/session-lifetime.ts'

const DAY = 86_400_000
const now = new Date('2026-11-23T12:00:00.000Z')
const loginDaysAgo = (days: number) => new Date(now.getTime() - days * DAY).toISOString()

describe('sessionLife', () => {
  it.each([
    [0, 'active', 14 * DAY],
    [10.9, 'active', 3.1 * DAY],
    [11.5, 'ending_soon', 2.5 * DAY],
    [13.99, 'ending_soon', 0.01 * DAY],
    [14, 'ended', 0],
    [20, 'ended', 0],
  ] as const)('logged in %s days ago → %s', (days, state, remaining) => {
    const life = sessionLife({ loginAt: loginDaysAgo(days) }, now)
    expect(life.state).toBe(state)
    expect(life.remainingMs).toBeCloseTo(remaining, -3)
    expect(life.ageMs).toBeCloseTo(days * DAY, -3)
  })

  it('an account marked as needing login says so whatever the clock', () => {
    const life = sessionLife(
      { loginAt: loginDaysAgo(1), needsLogin: { reason: 'it was revoked' } },
      now,
    )
    expect(life).toMatchObject({ state: 'needs_login', reason: 'it was revoked' })
  })
})

describe('formatDuration', () => {
  it.each([
    [13 * DAY + 22 * 3_600_000 + 5_000, '13 d 22 h'],
    [5 * 3_600_000 + 3 * 60_000, '5 h 3 min'],
    [2 * DAY + 30_000, '2 d'],
    [42_000, '42 s'],
    [0, '0 s'],
  ])('%i ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })
})
