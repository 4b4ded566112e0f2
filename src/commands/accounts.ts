// atoauth accounts: every account logged in on this machine, the default
// marked. Reads only the account index: no keychain, no network.
import { Command } from 'commander'
import type { Context } from '../context.js'
import type { SessionStorage } from '../oauth/accounts.js'
import type { CommandResult } from '../output.js'
import { sessionLife } from '../session-lifetime.js'
import type { Runner } from './runner.js'

export function accountsCommand(run: Runner): Command {
  return new Command('accounts')
    .description('list the logged-in accounts; * marks the default')
    .action((_flags, command: Command) => run(command, (ctx) => runAccounts(ctx)))
}

export async function runAccounts(ctx: Context): Promise<CommandResult> {
  const listed = await listAccounts(ctx)
  const now = ctx.now()
  const accounts = listed.map(({ needsLogin, ...a }) => {
    const life = sessionLife({ loginAt: a.loginAt, needsLogin }, now)
    return {
      ...a,
      sessionExpiresAt: life.endsAt,
      state: life.state,
      ...(life.reason ? { reason: life.reason } : {}),
    }
  })
  if (accounts.length === 0) {
    ctx.out.info('No account is logged in. Log in with: atoauth login <handle>')
  }
  const width = Math.max(0, ...accounts.map((a) => a.handle.length))
  return {
    data: { accounts },
    text: accounts.map(
      (a) =>
        `${a.default ? '*' : ' '} ${a.handle.padEnd(width)}  ${a.did}  ${a.pds}  ${a.store}, ` +
        (a.state === 'needs_login' || a.state === 'ended'
          ? 'needs login'
          : `session ends ${a.sessionExpiresAt.slice(0, 10)}`),
    ),
  }
}

export type ListedAccount = {
  did: string
  handle: string
  pds: string
  store: SessionStorage
  loginAt: string
  default: boolean
  needsLogin?: { since: string; reason: string }
}

/** Every account this machine acts for: the index, or the exported session alone. */
export async function listAccounts(ctx: Context): Promise<ListedAccount[]> {
  if (ctx.settings.exportedSession) {
    // Every command uses the exported session: it is the only account there is.
    const { account, storage } = await ctx.accounts.resolve()
    const { did, handle, pds, loginAt } = account
    return [{ did, handle, pds, store: storage, loginAt, default: true }]
  }
  const { accounts, defaultDid } = await ctx.accounts.list()
  return accounts.map(({ did, handle, pds, store, loginAt, needsLogin }) => ({
    did,
    handle,
    pds,
    store,
    loginAt,
    default: did === defaultDid,
    ...(needsLogin ? { needsLogin } : {}),
  }))
}
