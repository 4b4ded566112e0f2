// Is this machine's clock right? Every DPoP proof carries its creation time
// (iat), and servers refuse proofs dated too far from their own clock: the
// reference authorization server allows 3 minutes (its DPoP nonce lifetime).
// Measured against the Date header of the servers the other checks asked.
import { type Check, fail, ok, warn } from './check.js'

const NAME = 'clock'

/** Above this, say so before it becomes a problem. */
export const CLOCK_WARN_MS = 30_000
/** Above this, DPoP proofs are refused. */
export const CLOCK_FAIL_MS = 3 * 60_000

/** A server's Date header, and when (by our clock) the request went out and the answer came. */
export type ServerTimeSample = { server: string; date: string; sentAt: number; receivedAt: number }

export type ClockOffset = {
  /** How far our clock is ahead of the server's (negative: behind). */
  offsetMs: number
  /** How far off that estimate may be. */
  uncertaintyMs: number
}

export function clockOffset(sample: ServerTimeSample): ClockOffset | undefined {
  const serverSecond = Date.parse(sample.date)
  if (Number.isNaN(serverSecond)) return undefined
  // The Date header has whole seconds, and the server read its clock at some
  // moment while the request was in flight: compare the middles of both spans.
  const serverMiddle = serverSecond + 500
  const localMiddle = (sample.sentAt + sample.receivedAt) / 2
  return {
    offsetMs: localMiddle - serverMiddle,
    uncertaintyMs: 500 + (sample.receivedAt - sample.sentAt) / 2,
  }
}

/** The least skew the sample proves: a slow answer must not raise a false alarm. */
export function provenSkewMs(offset: ClockOffset): number {
  return Math.max(0, Math.abs(offset.offsetMs) - offset.uncertaintyMs)
}

export function clockCheck(samples: ServerTimeSample[]): Check {
  const measured = samples.flatMap((sample) => {
    const offset = clockOffset(sample)
    return offset ? [{ server: new URL(sample.server).origin, offset }] : []
  })
  if (measured.length === 0) {
    return warn(NAME, 'not checked: no server answered with a Date header')
  }
  const worst = measured.reduce((a, b) => (provenSkewMs(b.offset) > provenSkewMs(a.offset) ? b : a))
  const skew = provenSkewMs(worst.offset)
  const servers = [...new Set(measured.map((m) => m.server))].join(', ')
  if (skew <= CLOCK_WARN_MS) {
    const within = Math.ceil((Math.abs(worst.offset.offsetMs) + worst.offset.uncertaintyMs) / 1000)
    return ok(NAME, `agrees with ${servers} (within ${within} s)`)
  }
  const direction = worst.offset.offsetMs > 0 ? 'ahead of' : 'behind'
  const detail = `this machine's clock is ${formatDuration(skew)} ${direction} ${worst.server}`
  const hint = 'Set the clock right (turn on automatic time / NTP, e.g. timedatectl set-ntp true).'
  if (skew > CLOCK_FAIL_MS) {
    return fail(NAME, `${detail}: servers refuse DPoP proofs more than 3 min off`, hint)
  }
  return warn(NAME, `${detail}: servers refuse DPoP proofs more than 3 min off`, hint)
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000)
  if (seconds < 120) return `${seconds} s`
  const minutes = Math.round(ms / 60_000)
  if (minutes < 120) return `${minutes} min`
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}
