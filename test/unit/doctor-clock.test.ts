// The clock check's arithmetic: a Date header has whole seconds and arrives
// after a round trip, so the skew is an estimate with a known margin.
import { describe, expect, it } from 'vitest'
import {
  CLOCK_FAIL_MS,
  CLOCK_WARN_MS,
  clockCheck,
  clockOffset,
  formatDuration,
  type ServerTimeSample,
} from '../../src/doctor/clock-check.ts'

const T = Date.parse('2025-01-01T12:00:00.000Z')

/** A server whose clock is `offsetMs` behind ours, answering in `rttMs`. */
function sample(offsetMs: number, rttMs = 100, url = 'https://pds.example.com/'): ServerTimeSample {
  const serverNow = T - offsetMs + rttMs / 2
  return {
    url,
    date: new Date(serverNow).toUTCString(),
    sentAt: T,
    receivedAt: T + rttMs,
  }
}

describe('clock skew', () => {
  it('a server in step measures within the margin of zero', () => {
    const offset = clockOffset(sample(0))!
    expect(Math.abs(offset.offsetMs)).toBeLessThanOrEqual(offset.uncertaintyMs)
    expect(offset.provenSkewMs).toBe(0)
  })

  it('measures an offset in either direction, to within a second', () => {
    for (const skew of [45_000, -45_000, 3 * 3600_000, -3 * 3600_000]) {
      const offset = clockOffset(sample(skew))!
      expect(Math.abs(offset.offsetMs - skew)).toBeLessThanOrEqual(offset.uncertaintyMs)
    }
  })

  it('a slow answer widens the margin instead of raising an alarm', () => {
    // 40 s for the answer: the server read its clock somewhere in there.
    const offset = clockOffset({ ...sample(0, 40_000), date: new Date(T).toUTCString() })!
    expect(offset.uncertaintyMs).toBeGreaterThan(20_000)
    expect(offset.provenSkewMs).toBeLessThan(CLOCK_WARN_MS)
    expect(clockCheck([{ ...sample(0, 40_000), date: new Date(T).toUTCString() }]).status).toBe(
      'ok',
    )
  })

  it('an unreadable Date header is no measurement', () => {
    expect(clockOffset({ ...sample(0), date: 'yesterday-ish' })).toBeUndefined()
    expect(clockCheck([{ ...sample(0), date: 'yesterday-ish' }]).status).toBe('warn')
    expect(clockCheck([]).status).toBe('warn')
  })

  it('ok up to the warning threshold, warn up to the DPoP tolerance, fail above', () => {
    expect(clockCheck([sample(5_000)]).status).toBe('ok')
    expect(clockCheck([sample(CLOCK_WARN_MS + 5_000)])).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('ahead of https://pds.example.com'),
    })
    expect(clockCheck([sample(-(CLOCK_FAIL_MS + 5_000))])).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('3 min behind https://pds.example.com'),
    })
  })

  it('the worst server decides', () => {
    const check = clockCheck([
      sample(0, 100, 'https://a.example.com/'),
      sample(2 * 3600_000, 100, 'https://b.example.com/'),
    ])
    expect(check).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('2 h 0 min ahead of https://b.example.com'),
    })
  })

  it('durations read naturally', () => {
    expect(formatDuration(45_000)).toBe('45 s')
    expect(formatDuration(5 * 60_000)).toBe('5 min')
    expect(formatDuration(3 * 3600_000 + 60_000)).toBe('3 h 1 min')
  })
})
