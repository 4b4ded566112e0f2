// atoauth whoami: who the session belongs to, checked live at the PDS.
import { Command } from 'commander'
import { isIndexed, type ResolvedAccount, type SessionStorage } from '../auth/accounts.js'
import { presetsOf, scopeTokens } from '../auth/scope-presets.js'
import type { Context } from '../context.js'
import { accountWord, suggestCommand } from '../errors/suggested-command.js'
import { AtoauthError } from '../errors.js'
import { type CommandResult, localTimeFromNow } from '../output.js'
import { SESSION_LIFETIME_MS } from '../session-lifetime.js'
import { terminalLine } from '../terminal-text.js'
import { withExamples } from './help.js'
import type { Runner } from './runner.js'

const STORAGE_DESCRIPTIONS: Record<SessionStorage, string> = {
  keychain: 'OS keychain',
  file: 'plaintext file (insecure)',
  'session-file': 'ATOAUTH_SESSION_FILE',
  'session-env': 'ATOAUTH_SESSION',
}

export function whoamiCommand(run: Runner): Command {
  const whoami = new Command('whoami').description(
    'show the account the session belongs to, its scopes and when it expires',
  )
  return withExamples(whoami, [
    'atoauth whoami',
    'atoauth whoami --account bob.bsky.social',
    'atoauth whoami --json | jq -r .sessionExpiresAt',
  ]).action((_flags, command: Command) => run(command, (ctx) => runWhoami(ctx)))
}

export async function runWhoami(ctx: Context): Promise<CommandResult> {
  const resolved = await ctx.accounts.resolve()
  const { account, storage } = resolved
  const request = await ctx.xrpc(resolved)
  const answer = await request({ method: 'GET', path: '/xrpc/com.atproto.server.getSession' })
  const { jsonOf, xrpcFailure } = await import('../auth/session.js')
  if (!answer.ok) throw xrpcFailure('com.atproto.server.getSession', answer)
  const live = jsonOf(answer.bytes) as { did?: unknown; handle?: unknown }
  if (live.did !== account.did) throw sessionMismatch(account.did, live.did, answer.token.aud)
  const { handle, claimedHandle } = await currentHandle(ctx, resolved, live.handle)
  const now = ctx.now()
  const expiresAt = answer.token.expiresAt
  const sessionEnd = new Date(Date.parse(account.loginAt) + SESSION_LIFETIME_MS)
  const data = {
    did: account.did,
    handle,
    // Only when the PDS names a handle that did not verify: `handle` stays the one atoauth trusts.
    ...(claimedHandle === undefined ? {} : { claimedHandle }),
    pds: answer.token.aud,
    scope: answer.token.scope,
    scopes: scopeTokens(answer.token.scope),
    // The presets the granted scopes are made of ("post,delete"); null for any other scopes.
    preset: presetsOf(answer.token.scope)?.join(',') ?? null,
    accessTokenExpiresAt: expiresAt?.toISOString() ?? null,
    sessionExpiresAt: sessionEnd.toISOString(),
    loginAt: account.loginAt,
    clientId: account.clientId,
    store: storage,
  }
  return {
    data,
    text: [
      `${data.handle} (${data.did})`,
      ...(claimedHandle === undefined
        ? []
        : [
            `  PDS claims:    ${terminalLine(shortened(claimedHandle))} (not verified, not recorded)`,
          ]),
      `  PDS:           ${data.pds}`,
      `  scopes:        ${terminalLine(data.scope)}${data.preset ? ` (preset ${data.preset})` : ''}`,
      `  access token:  expires ${expiresAt ? localTimeFromNow(expiresAt, now) : 'never'}`,
      `  session:       ends ${localTimeFromNow(sessionEnd, now)}, 14 days after login`,
      `  stored in:     ${STORAGE_DESCRIPTIONS[storage]}`,
    ],
  }
}

/**
 * The account's handle: the recorded one, or the one the PDS now reports once it is proven the
 * account's (handle → DID → DID document). Nothing is resolved while the two agree, so the warm
 * path stays one request and never loads the OAuth library.
 */
async function currentHandle(
  ctx: Context,
  resolved: ResolvedAccount,
  claimed: unknown,
): Promise<{ handle: string; claimedHandle?: string }> {
  const { account, storage } = resolved
  const recorded = account.handle
  if (typeof claimed !== 'string' || claimed.toLowerCase() === recorded.toLowerCase()) {
    return { handle: recorded }
  }
  const { verifyHandle } = await import('../auth/verify-handle.js')
  const check = await verifyHandle(ctx, resolved, claimed)
  if (!check.verified) {
    ctx.out.warn(
      `the PDS reports the handle ${shortened(claimed)} for ${account.did}, but ${check.reason}; it was not recorded (still ${recorded})`,
    )
    return { handle: recorded, claimedHandle: claimed }
  }
  // An exported session has no record to keep it in: it shows the new handle only.
  if (isIndexed(storage)) {
    for (const did of await ctx.accounts.renamed(account.did, check.handle)) {
      ctx.out.warn(
        suggestCommand`${check.handle} now belongs to ${account.did}; the account ${did} that was recorded under it is listed by its DID until atoauth whoami --account ${accountWord(did)} sees its new handle`,
      )
    }
  }
  return { handle: check.handle }
}

/** getSession answered for another account: the session is not the one it was recorded as. */
function sessionMismatch(did: string, reported: unknown, pds: string): AtoauthError {
  const other = typeof reported === 'string' ? shortened(reported) : 'no DID'
  return new AtoauthError(
    'session_mismatch',
    `The PDS (${pds}) answered for ${other}, not for ${did}, the account this session was recorded for; nothing was recorded.`,
    {
      hint: suggestCommand`Do not use this session: log out and log in again (atoauth logout ${accountWord(did)} && atoauth login ${accountWord(did)}). If it happens again, the PDS misbehaves: tell its operator.`,
      details: { did, reportedDid: typeof reported === 'string' ? reported : null },
    },
  )
}

/** A server's string, cut for a person's screen (a handle is at most 253 characters). */
function shortened(text: string): string {
  return text.length > 256 ? `${text.slice(0, 255)}…` : text
}
