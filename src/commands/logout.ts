// atoauth logout: revoke the session at the authorization server, then forget
// it locally. A server that cannot be reached does not keep the local copy
// alive: the person asked for it to be gone.
import { Command } from 'commander'
import type { Context } from '../context.js'
import { describeCause } from '../errors.js'
import type { CommandResult } from '../output.js'
import type { Runner } from './runner.js'

export function logoutCommand(run: Runner): Command {
  return new Command('logout')
    .description('revoke the session at the server and delete it from this machine')
    .action((_flags, command: Command) => run(command, (ctx) => runLogout(ctx)))
}

export async function runLogout(ctx: Context): Promise<CommandResult> {
  const { AccountIndex } = await import('../store/account-index.js')
  const { openAccountClient } = await import('../oauth/account-session.js')
  const index = await AccountIndex.load(ctx.settings.configDir)
  const record = index.resolve(ctx.settings.account)
  const client = await openAccountClient(ctx, record)

  let revoked = true
  try {
    // Revokes at the server, and deletes the stored secrets whatever happens.
    await client.revoke(record.did)
  } catch (err) {
    revoked = false
    ctx.out.warn(
      `could not revoke the session at ${record.issuer} (${describeCause(err)}); ` +
        'it was deleted here and expires at the server on its own.',
    )
  }
  index.remove(record.did)
  await index.save()

  return {
    data: { did: record.did, handle: record.handle, revoked },
    text: [`Logged out ${record.handle} (${record.did})`],
  }
}
