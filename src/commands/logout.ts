// atoauth logout [account] | --all: revoke sessions at the authorization
// server, then forget them locally. A server that cannot be reached does not
// keep the local copy alive: the person asked for it to be gone.
import { Command } from 'commander'
import { isIndexed, type ResolvedAccount } from '../auth/accounts.js'
import type { Context } from '../context.js'
import { AtoauthError, describeCause, ExitCode, UsageError } from '../errors.js'
import type { CommandResult } from '../output.js'
import { withExamples } from './help.js'
import type { Runner } from './runner.js'

export type LogoutOptions = { account: string | undefined; all: boolean }

export function logoutCommand(run: Runner): Command {
  const logout = new Command('logout')
    .description('revoke the session at the server and delete it from this machine')
    .argument('[account]', 'handle or DID (default: --account, ATOAUTH_ACCOUNT or the default)')
    .option('--all', 'log out of every account on this machine')
  return withExamples(logout, [
    'atoauth logout',
    'atoauth logout bob.bsky.social',
    'atoauth logout --all',
  ]).action((account: string | undefined, flags, command: Command) =>
    run(command, (ctx) => runLogout({ account, all: flags.all === true }, ctx)),
  )
}

export async function runLogout(options: LogoutOptions, ctx: Context): Promise<CommandResult> {
  if (options.all && options.account) throw new UsageError('Pass an account or --all, not both.')
  if (options.all && ctx.settings.exportedSession) {
    throw new UsageError(
      '--all logs out the accounts on this machine, but an exported session is set (ATOAUTH_SESSION or ATOAUTH_SESSION_FILE).',
      'Unset it, or drop --all to end the exported session.',
    )
  }
  const targets = options.all
    ? (await ctx.accounts.list()).map((a) => a.did)
    : [options.account ?? ctx.settings.account]
  const done = []
  for (const target of targets) {
    done.push(await revokeAndForget(ctx, await ctx.accounts.resolve(target)))
  }
  const text = done.map((a) => `Logged out ${a.handle} (${a.did})`)
  if (!options.all) return { data: { ...done[0] }, text }
  if (done.length === 0) ctx.out.info('No account was logged in.')
  return { data: { accounts: done }, text }
}

async function revokeAndForget(ctx: Context, { account, sessionStore, storage }: ResolvedAccount) {
  const { revokeSession } = await import('../auth/client.js')
  // Revokes at the server, and deletes the stored secrets whatever happens.
  const revoked = await revokeSession(ctx, account, sessionStore).then(
    () => true,
    (err: unknown) => {
      // A keychain that cannot be used keeps the account: its secrets are still there.
      if (err instanceof AtoauthError && err.exitCode === ExitCode.storageUnavailable) throw err
      ctx.out.warn(
        `could not revoke the session of ${account.handle} at ${account.issuer} (${describeCause(err)}); ` +
          'it was deleted here and expires at the server on its own.',
      )
      return false
    },
  )
  if (isIndexed(storage)) await ctx.accounts.forget(account.did)
  return { did: account.did, handle: account.handle, revoked }
}
