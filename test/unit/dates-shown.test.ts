// Dates are shown one way: accounts, status and whoami print local time with its UTC offset for
// people, and ISO 8601 UTC ("…Z") in --json.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { XrpcAnswer } from '../../src/auth/session.ts'
import { runAccounts } from '../../src/commands/accounts.ts'
import { runStatus } from '../../src/commands/status.ts'
import { runWhoami } from '../../src/commands/whoami.ts'
import { localTime, localTimeFromNow } from '../../src/output.ts'
import { ALICE, fakeContext } from '../support/fake-context.ts'

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
// ALICE logged in 2026-12-01T10:00Z: her session ends 14 days later, 11:00 in Berlin.
const SESSION_END = '2026-12-15 11:00 UTC+01:00'

const zone = process.env.TZ
beforeEach(() => {
  process.env.TZ = 'Europe/Berlin'
})
afterEach(() => {
  process.env.TZ = zone
  if (zone === undefined) delete process.env.TZ
})

describe('localTime', () => {
  it.each([
    ['Europe/Berlin', '2026-12-16T10:00:00Z', '2026-12-16 11:00 UTC+01:00'],
    ['Europe/Berlin', '2026-06-16T22:30:00Z', '2026-06-17 00:30 UTC+02:00'],
    ['America/New_York', '2026-12-16T03:00:00Z', '2026-12-15 22:00 UTC-05:00'],
    ['Asia/Kolkata', '2026-12-16T10:00:00Z', '2026-12-16 15:30 UTC+05:30'],
    ['UTC', '2026-12-16T10:00:00Z', '2026-12-16 10:00 UTC'],
  ])('in %s shows %s as %s', (tz, iso, shown) => {
    process.env.TZ = tz
    expect(localTime(new Date(iso))).toBe(shown)
  })

  it('says how far away the moment is', () => {
    const now = new Date('2026-12-02T12:00:00Z')
    expect(localTimeFromNow(new Date('2026-12-16T10:00:00Z'), now)).toBe(
      '2026-12-16 11:00 UTC+01:00 (in 13 d 22 h)',
    )
    expect(localTimeFromNow(new Date('2026-12-02T11:55:00Z'), now)).toBe(
      '2026-12-02 12:55 UTC+01:00 (5 min ago)',
    )
  })
})

function whoamiContext() {
  const answer: XrpcAnswer = {
    status: 200,
    statusText: 'OK',
    ok: true,
    contentType: 'application/json',
    bytes: Buffer.from(JSON.stringify({ did: ALICE.did, handle: ALICE.handle })),
    token: {
      aud: ALICE.pds,
      scope: ALICE.scope,
      expiresAt: new Date('2026-12-02T12:30:00.000Z'),
    },
  }
  return fakeContext({ xrpc: async () => async () => answer }).ctx
}

describe('accounts, status and whoami', () => {
  it('print the session end in local time, the same way', async () => {
    const [accounts, status, whoami] = await Promise.all([
      runAccounts(fakeContext().ctx),
      runStatus(fakeContext().ctx),
      runWhoami(whoamiContext()),
    ])
    expect(accounts.text[0]).toContain(`session ends ${SESSION_END}`)
    expect(status.text[0]).toContain(`ends in 12 d 22 h (${SESSION_END})`)
    expect(whoami.text).toContain(
      `  session:       ends ${SESSION_END} (in 12 d 22 h), 14 days after login`,
    )
    expect(whoami.text).toContain('  access token:  expires 2026-12-02 13:30 UTC+01:00 (in 30 min)')
  })

  it('give every date in --json as ISO 8601 UTC', async () => {
    const accounts = (await runAccounts(fakeContext().ctx)).data.accounts as object[]
    const status = (await runStatus(fakeContext().ctx)).data.accounts as object[]
    const whoami = (await runWhoami(whoamiContext())).data
    const dates = [...accounts, ...status, whoami].flatMap((record) =>
      Object.entries(record).filter(([key]) => /At$/.test(key)),
    )
    expect(dates.map(([key]) => key).sort()).toEqual([
      'accessTokenExpiresAt',
      'endsAt',
      'loginAt',
      'loginAt',
      'loginAt',
      'sessionExpiresAt',
      'sessionExpiresAt',
    ])
    for (const [key, value] of dates)
      expect({ key, value }).toEqual({ key, value: expect.stringMatching(ISO_UTC) })
  })
})
