// atoauth login <handle | did | url>: sign in through the browser and keep
// the session in the OS keychain (or, opted in, the plaintext file store).
import type { NodeSavedSession, NodeSavedSessionStore } from '@atproto/oauth-client-node'
import { Command } from 'commander'
import type { Context } from '../context.js'
import type { LoginFlowOptions } from '../oauth/login-flow.js'
import { loginFlowOptions, withLoginFlowOptions } from '../oauth/login-flow.js'
import type { CommandResult } from '../output.js'
import type { AccountRecord } from '../store/account-index.js'
import type { Runner } from './runner.js'

export function loginCommand(run: Runner): Command {
  return withLoginFlowOptions(
    new Command('login')
      .description('sign in to an account with OAuth in the browser')
      .argument('<account>', 'handle (alice.bsky.social), DID, or PDS / entryway URL'),
  ).action((identifier: string, flags, command: Command) =>
    run(command, (ctx) => runLogin(loginFlowOptions(identifier, flags), ctx)),
  )
}

export async function runLogin(options: LoginFlowOptions, ctx: Context): Promise<CommandResult> {
  const [
    { openStore, revokeReplacedSession },
    { signIn, checkIdentifier },
    { SecretSessionStore },
  ] = await Promise.all([
    import('../oauth/account-session.js'),
    import('../oauth/login-flow.js'),
    import('../store/session-store.js'),
  ])
  await checkIdentifier(options.identifier)

  // Prove the keychain works before the person spends time in the browser.
  const secrets = await openStore(ctx, ctx.settings.storeKind)
  await secrets.probe()

  const store = new ReplacementTrackingStore(new SecretSessionStore(secrets))
  const { session, account, revoke } = await signIn(ctx, options, store)
  const record: AccountRecord = { ...account, store: secrets.kind }

  const { AccountIndex } = await import('../store/account-index.js')
  let previous: AccountRecord | undefined
  try {
    previous = await AccountIndex.update(ctx.settings.configDir, (index) => {
      const found = index.accounts.find((a) => a.did === record.did)
      index.upsert(record, { makeDefault: true })
      return found
    })
  } catch (err) {
    // A session nobody can find again must not stay valid at the server.
    await revoke()
    throw err
  }

  // A new login replaces the account's previous session: end that one at the
  // server too, rather than leave a live refresh token behind.
  let replaced = store.replaced
  if (previous && previous.store !== record.store) {
    const { openSecretStore } = await import('../store/secret-store.js')
    const oldStore = new SecretSessionStore(await openSecretStore(previous.store, ctx.settings))
    replaced = await oldStore.get(record.did).catch(() => undefined)
    await oldStore.del(record.did).catch(() => {})
  }
  if (replaced) await revokeReplacedSession(ctx, previous ?? account, replaced)

  return {
    data: {
      did: record.did,
      handle: record.handle,
      pds: record.pds,
      scope: record.scope,
      store: record.store,
    },
    text: [`Logged in as ${record.handle} (${session.did}) on ${record.pds}`],
  }
}

/** Remembers the session a new login overwrites, so that it can be revoked. */
class ReplacementTrackingStore implements NodeSavedSessionStore {
  readonly #inner: NodeSavedSessionStore
  replaced: NodeSavedSession | undefined

  constructor(inner: NodeSavedSessionStore) {
    this.#inner = inner
  }

  get(did: string) {
    return this.#inner.get(did)
  }

  async set(did: string, session: NodeSavedSession) {
    const old = await Promise.resolve(this.#inner.get(did)).catch(() => undefined)
    if (old && old.tokenSet.refresh_token !== session.tokenSet.refresh_token) this.replaced ??= old
    await this.#inner.set(did, session)
  }

  del(did: string) {
    return this.#inner.del(did)
  }
}
