// atoauth login <handle | did | url>: sign in through the browser and keep
// the session in the OS keychain (or, opted in, the plaintext file store).
import { Command } from 'commander'
import { type LoginOptions, loginOptions, withLoginOptions } from '../auth/login-options.js'
import type { Context } from '../context.js'
import type { CommandResult } from '../output.js'
import type { AccountRecord } from '../store/account-index.js'
import { withExamples } from './help.js'
import type { Runner } from './runner.js'

export function loginCommand(run: Runner): Command {
  const login = new Command('login')
    .description('sign in to an account with OAuth in the browser')
    .argument('<account>', 'handle (alice.bsky.social), DID, or PDS / entryway URL')
  return withExamples(withLoginOptions(login), [
    'atoauth login alice.bsky.social',
    'atoauth login alice.bsky.social --scope post,delete',
    'atoauth login alice.bsky.social --no-browser --port 8910   # over SSH: ssh -N -L 8910:127.0.0.1:8910 you@box',
    'atoauth login https://bsky.social --dev-client   # no hosted client metadata needed',
  ]).action((identifier: string, flags, command: Command) =>
    run(command, (ctx) => runLogin(loginOptions(identifier, flags), ctx)),
  )
}

export async function runLogin(options: LoginOptions, ctx: Context): Promise<CommandResult> {
  const [{ signIn }, { revokeSession }, { SecretSessionStore }] = await Promise.all([
    import('../auth/login.js'),
    import('../auth/client.js'),
    import('../store/session-store.js'),
  ])
  const kind = ctx.settings.storeKind
  const secrets = await ctx.accounts.openStore(kind)
  let previous: AccountRecord | undefined
  const { account } = await signIn(ctx, options, {
    // The library stores the session here, and first revokes the one it replaces.
    sessionStore: new SecretSessionStore(secrets),
    // Proven to work before the person spends time in the browser.
    ready: () => secrets.probe(),
    keep: async ({ account }) => {
      previous = await ctx.accounts.saveLogin({ ...account, store: kind })
    },
  })
  // A session kept in the other store (keychain vs plaintext file) is one
  // the library could not see: end it too, rather than leave it behind.
  if (previous && previous.store !== kind) {
    const { store: _, needsLogin: __, ...earlier } = previous
    await revokeSession(ctx, earlier, await ctx.accounts.sessionStore(previous.store)).catch(
      () => {},
    )
  }
  const { did, handle, pds, scope } = account
  return {
    data: { did, handle, pds, scope, store: kind },
    text: [`Logged in as ${handle} (${did}) on ${pds}`],
  }
}
