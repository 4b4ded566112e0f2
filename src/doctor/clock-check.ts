// Is this machine's clock right? Every DPoP proof carries its creation time, and servers refuse
// proofs dated too far from their own clock: the reference authorization server allows 3 minutes
// (its DPoP nonce lifetime). Measured by the Date header of the servers the other checks asked.
import { type Check, fail, ok, warn } from './check.js'

/** Above this, say so before it becomes a problem. */
export const CLOCK_WARN_MS = 30_000
/** Above this, DPoP proofs are refused. */
export const CLOCK_FAIL_MS = 3 * 60_000

/** A server's Date header, and when (by our clock) the request went out and the answer came. */
export type ServerTimeSample = { url: string; date?: string; sentAt: number; receivedAt: number }

// How far our clock is ahead of the server's (negative: behind), give or take how much, and so
// the least skew it proves: a slow answer raises no alarm.
export function clockOffset(sample: ServerTimeSample) {
  const serverSecond = Date.parse(sample.date ?? '')
  if (Number.isNaN(serverSecond)) return undefined
  // The Date header has whole seconds, and the server read its clock at some
  // moment while the request was in flight: compare the middles of both spans.
  const offsetMs = (sample.sentAt + sample.receivedAt) / 2 - (serverSecond + 500)
  const uncertaintyMs = 500 + (sample.receivedAt - sample.sentAt) / 2
  return { offsetMs, uncertaintyMs, provenSkewMs: Math.max(0, Math.abs(offsetMs) - uncertaintyMs) }
}

export function clockCheck(samples: ServerTimeSample[]): Check {
  const measured = samples.flatMap((sample) => {
    const offset = clockOffset(sample)
    return offset ? [{ server: new URL(sample.url).origin, offset }] : []
  })
  const worst = measured.sort((a, b) => b.offset.provenSkewMs - a.offset.provenSkewMs)[0]
  if (!worst) return warn('clock', 'not checked: no server answered with a Date header')
  const skew = worst.offset.provenSkewMs
  if (skew <= CLOCK_WARN_MS) {
    const servers = [...new Set(measured.map((m) => m.server))].join(', ')
    const within = Math.ceil((Math.abs(worst.offset.offsetMs) + worst.offset.uncertaintyMs) / 1000)
    return ok('clock', `agrees with ${servers} (within ${within} s)`)
  }
  const direction = worst.offset.offsetMs > 0 ? 'ahead of' : 'behind'
  return (skew > CLOCK_FAIL_MS ? fail : warn)(
    'clock',
    `this machine's clock is ${formatDuration(skew)} ${direction} ${worst.server}: servers refuse DPoP proofs more than 3 min off`,
    'Set the clock right (turn on automatic time / NTP, e.g. timedatectl set-ntp true).',
  )
}

/** Rounded to the unit that matters for a skew: "45 s", "5 min", "3 h 0 min". */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000)
  if (seconds < 120) return `${seconds} s`
  const minutes = Math.round(ms / 60_000)
  if (minutes < 120) return `${minutes} min`
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}
