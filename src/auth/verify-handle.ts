// Whether a handle a PDS reports for an account is really the account's. A PDS's word alone
// proves nothing: one hosting an account of a person can name the handle of their other account,
// and `--account`, `switch` and `logout` would then act on the wrong one. The handle must resolve
// to the account's DID, and that DID's document must list the handle: the OAuth library's
// identity resolver checks both ways (as at login), with atoauth's settings (handle resolver,
// PLC directory, plain HTTP for local development). Loaded only when a handle changed.
import type { Context } from '../context.js'
import { startDeadline } from '../deadline.js'
import { describeCause } from '../errors.js'
import type { ResolvedAccount } from './accounts.js'

/** Long enough for a slow DNS or PLC directory; whoami answers after it, keeping the old handle. */
const VERIFY_TIMEOUT_MS = 10_000

export type HandleCheck =
  /** `handle` normalized (lower case), as the DID document lists it. */
  | { verified: true; handle: string }
  /** Why not, to finish "…, but <reason>". */
  | { verified: false; reason: string }

export async function verifyHandle(
  ctx: Pick<Context, 'oauthClient' | 'out' | 'signal'>,
  resolved: Pick<ResolvedAccount, 'account' | 'sessionStore'>,
  claimed: string,
): Promise<HandleCheck> {
  const [{ isValidHandle }, { accountClient }] = await Promise.all([
    import('@atproto/syntax'),
    import('./client.js'),
  ])
  // Also keeps a DID posing as a handle away from the resolver, which would accept it.
  if (!isValidHandle(claimed)) return { verified: false, reason: 'it is not a valid handle' }
  const { account, sessionStore } = resolved
  const client = await accountClient(ctx, account, sessionStore)
  const deadline = startDeadline(VERIFY_TIMEOUT_MS, ctx.signal)
  // Raced, for work that does not listen to the signal (a handle's DNS lookup).
  const stopped = new Promise<never>((_, reject) => {
    deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason), { once: true })
  })
  try {
    const identity = await Promise.race([
      client.identityResolver.resolve(claimed, { signal: deadline.signal, noCache: true }),
      stopped,
    ])
    if (identity.did !== account.did) {
      return { verified: false, reason: `it resolves to another account (${identity.did})` }
    }
    return { verified: true, handle: identity.handle }
  } catch (err) {
    if (ctx.signal.aborted) throw err
    return { verified: false, reason: `it could not be verified: ${describeCause(err)}` }
  } finally {
    deadline.clear()
  }
}
