// atoauth accounts: every account logged in on this machine, the default
// marked. Reads only the account index: no keychain, no network.
import { Command } from 'commander'
import { presetsOf } from '../auth/scope-presets.js'
import type { Context } from '../context.js'
import { type CommandResult, localTime } from '../output.js'
import { sessionLife } from '../session-lifetime.js'
import { withExamples } from './help.js'
import type { Runner } from './runner.js'

export function accountsCommand(run: Runner): Command {
  const accounts = new Command('accounts').description(
    'list the logged-in accounts; * marks the default',
  )
  return withExamples(accounts, [
    'atoauth accounts',
    "atoauth accounts --json | jq -r '.accounts[] | select(.default) | .handle'",
  ]).action((_flags, command: Command) => run(command, (ctx) => runAccounts(ctx)))
}

export async function runAccounts(ctx: Context): Promise<CommandResult> {
  const now = ctx.now()
  const accounts = (await ctx.accounts.list()).map(({ needsLogin, ...a }) => {
    const { endsAt, state, reason } = sessionLife({ loginAt: a.loginAt, needsLogin }, now)
    const preset = presetsOf(a.scope)?.join(',') ?? null
    return { ...a, preset, sessionExpiresAt: endsAt, state, ...(reason ? { reason } : {}) }
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
        (a.reason ? 'needs login' : `session ends ${localTime(new Date(a.sessionExpiresAt))}`) +
        `  scope: ${a.preset ?? 'custom'}`,
    ),
  }
}
