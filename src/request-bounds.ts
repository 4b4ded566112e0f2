// The bounds of every request atoauth makes for an account, on either path (the warm request,
// or the OAuth library's fetch), and the errors that say one was reached: a server may be slow,
// huge or hostile, never unbounded.
import { AtoauthError, ExitCode, NetworkError } from './errors.js'

/** A whole request, answer body included; fetch would wait as long as the server keeps the connection open. */
export const REQUEST_TIMEOUT_MS = 30_000

/** Far above any XRPC JSON answer; a blob as large as Bluesky's largest video still fits. */
export const MAX_RESPONSE_BYTES = 100 * 2 ** 20

/** A server that did not answer within `ms` (network, exit 4), named. */
export function noAnswerWithin(origin: string, ms: number): NetworkError {
  return new NetworkError(`${origin} did not answer within ${ms / 1000} s.`)
}

/** An answer longer than `maxBytes` (response_too_large, exit 4), its server named. */
export function responseTooLarge(origin: string, maxBytes: number): AtoauthError {
  return new AtoauthError(
    'response_too_large',
    `The response from ${origin} is larger than ${maxBytes / 2 ** 20} MiB, the most atoauth reads.`,
    { exitCode: ExitCode.network },
  )
}
