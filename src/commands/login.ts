// atoauth login <handle | did | url>: sign in through the browser and keep
// the session in the OS keychain (or, opted in, the plaintext file store).
import { Command } from 'commander'
import type { Context } from '../context.js'
import { type LoginOptions, loginOptions, withLoginOptions } from '../oauth/login-options.js'
import type { CommandResult } from '../output.js'
import type { AccountRecord } from '../store/account-index.js'
import type { Runner } from './runner.js'

export function loginCommand(run: Runner): Command {
  return withLoginOptions(
    new Command('login')
      .description('sign in to an account with OAuth in the browser')
      .argument('<account>', 'handle (alice.bsky.social), DID, or PDS / entryway URL'),
  ).action((identifier: string, flags, command: Command) =>
    run(command, (ctx) => runLogin(loginOptions(identifier, flags), ctx)),
  )
}

export async function runLogin(options: LoginOptions, ctx: Context): Promise<CommandResult> {
  const [{ signIn }, { revokeSession }] = await Promise.all([
    import('../oauth/login.js'),
    import('../oauth/client.js'),
  ])
  const kind = ctx.settings.storeKind
  const secrets = await ctx.accounts.openStore(kind)
  const { SecretSessionStore } = await import('../store/session-store.js')
  let record: AccountRecord | undefined
  let previous: AccountRecord | undefined
  await signIn(ctx, options, {
    // The library stores the session here, and first revokes the one it replaces.
    sessionStore: new SecretSessionStore(secrets),
    // Proven to work before the person spends time in the browser.
    ready: () => secrets.probe(),
    keep: async ({ account }) => {
      record = { ...account, store: kind }
      previous = await ctx.accounts.saveLogin(record)
    },
  })
  if (!record) throw new Error('signIn returned before the account was recorded')

  // A session kept in the other store (keychain vs plaintext file) is one
  // the library could not see: end it too, rather than leave it behind.
  if (previous && previous.store !== kind) {
    const { store: _, needsLogin: __, ...earlier } = previous
    await revokeSession(ctx, earlier, await ctx.accounts.sessionStore(previous.store)).catch(
      () => {},
    )
  }
  return {
    data: {
      did: record.did,
      handle: record.handle,
      pds: record.pds,
      scope: record.scope,
      store: record.store,
    },
    text: [`Logged in as ${record.handle} (${record.did}) on ${record.pds}`],
  }
}
