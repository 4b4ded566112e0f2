// atoauth switch <handle|did>: change the default account. For one command
// only, use --account or ATOAUTH_ACCOUNT instead.
import { Command } from 'commander'
import type { Context } from '../context.js'
import { UsageError } from '../errors.js'
import type { CommandResult } from '../output.js'
import { withExamples } from './help.js'
import type { Runner } from './runner.js'

export function switchCommand(run: Runner): Command {
  const switchTo = new Command('switch')
    .description('make another logged-in account the default')
    .argument('<account>', 'handle or DID of a logged-in account')
  return withExamples(switchTo, [
    'atoauth switch bob.bsky.social',
    'atoauth switch alice.bsky.social && atoauth whoami',
  ]).action((account: string, _flags, command: Command) =>
    run(command, (ctx) => runSwitch({ account }, ctx)),
  )
}

export async function runSwitch(
  options: { account: string },
  ctx: Context,
): Promise<CommandResult> {
  if (ctx.settings.exportedSession) {
    throw new UsageError(
      'An exported session is set (ATOAUTH_SESSION or ATOAUTH_SESSION_FILE): every command uses it.',
      'Unset it to use the accounts on this machine.',
    )
  }
  const record = await ctx.accounts.setDefault(options.account)
  return {
    data: { did: record.did, handle: record.handle },
    text: [`The default account is now ${record.handle} (${record.did})`],
  }
}
