// Is the account's session where the other commands will look for it? Reads
// the stored session and looks at its shape only: nothing is printed, and
// nothing is sent anywhere (a refresh would rotate the tokens).
import { formatDuration, sessionLife } from '../session-lifetime.js'
import type { AccountToCheck } from './accounts-check.js'
import { type Check, fail, ok, warn } from './check.js'

export async function sessionCheck(account: AccountToCheck, now: Date): Promise<Check> {
  const name = `session:${account.handle}`
  const loginAgain = `Log in again: atoauth login ${account.handle}`
  const stored = await account.readSession()
  if (stored === undefined) {
    return fail(name, `no session for ${account.did} in ${account.location}`, loginAgain)
  }
  if (!isSessionOf(stored, account.did)) {
    return fail(
      name,
      `the session in ${account.location} is incomplete or belongs to another account`,
      loginAgain,
    )
  }
  const life = sessionLife(account, now)
  if (life.state === 'needs_login' || life.state === 'ended') {
    return fail(name, `the session has ended: ${life.reason}`, loginAgain)
  }
  const ends = `, ends ${life.endsAt} (in ${formatDuration(life.remainingMs)})`
  if (life.state === 'ending_soon') {
    return warn(
      name,
      `in ${account.location}${ends}`,
      `Log in again before then: atoauth login ${account.handle}`,
    )
  }
  if (account.warnings.length > 0) {
    return warn(name, `in ${account.location}${ends}; ${account.warnings.join('; ')}`)
  }
  return ok(name, `in ${account.location}${ends}`)
}

/** The shape the OAuth client saves: a DPoP key and the tokens of this DID. */
function isSessionOf(stored: unknown, did: string): boolean {
  if (typeof stored !== 'object' || stored === null) return false
  const { dpopJwk, tokenSet } = stored as { dpopJwk?: unknown; tokenSet?: { sub?: unknown } }
  return typeof dpopJwk === 'object' && dpopJwk !== null && tokenSet?.sub === did
}
