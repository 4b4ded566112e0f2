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

  // Prove the keychain works before the person spends time in the browser:
  // signIn waits for this before its first authorization request (the
  // account's lookups go on meanwhile).
  const secrets = await openStore(ctx, ctx.settings.storeKind)
  const storeWorks = secrets.probe()
  storeWorks.catch(() => {}) // signIn awaits it

  const store = new ReplacementTrackingStore(new SecretSessionStore(secrets))
  let record: AccountRecord | undefined
  let previous: AccountRecord | undefined
  const { session } = await signIn(ctx, options, store, {
    ready: storeWorks,
    // What storing the account needs, loaded while the person is in the browser.
    prepare: async () => {
      const { AccountIndex } = await import('../store/account-index.js')
      await AccountIndex.preloadUpdate()
    },
    // A session nobody can find again must not stay valid: signIn revokes it if this throws.
    finish: async ({ account }) => {
      const { AccountIndex } = await import('../store/account-index.js')
      const made: AccountRecord = { ...account, store: secrets.kind }
      previous = await AccountIndex.update(ctx.settings.configDir, (index) => {
        const found = index.accounts.find((a) => a.did === made.did)
        index.upsert(made, { makeDefault: true })
        return found
      })
      record = made
    },
  })
  if (!record) throw new Error('signIn returned before the account was stored')

  // A new login replaces the account's previous session: end that one at the
  // server too, rather than leave a live refresh token behind.
  let replaced = store.replaced
  if (previous && previous.store !== record.store) {
    const { openSecretStore } = await import('../store/secret-store.js')
    const oldStore = new SecretSessionStore(await openSecretStore(previous.store, ctx.settings))
    replaced = await oldStore.get(record.did).catch(() => undefined)
    await oldStore.del(record.did).catch(() => {})
  }
  if (replaced) await revokeReplacedSession(ctx, previous ?? record, replaced)

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

/**
 * The login's view of the account's stored session: remembers the session a
 * new login overwrites, so that it can be revoked, and keeps what it read and
 * wrote, so that the OAuth client's checks and ours during the code exchange
 * read the keychain once (each read is a D-Bus round trip to the keychain).
 */
class ReplacementTrackingStore implements NodeSavedSessionStore {
  readonly #inner: NodeSavedSessionStore
  readonly #known = new Map<string, Promise<NodeSavedSession | undefined>>()
  replaced: NodeSavedSession | undefined

  constructor(inner: NodeSavedSessionStore) {
    this.#inner = inner
  }

  get(did: string): Promise<NodeSavedSession | undefined> {
    let known = this.#known.get(did)
    if (!known) {
      known = Promise.resolve(this.#inner.get(did))
      this.#known.set(did, known)
      // A failed read is tried again next time.
      known.catch(() => this.#known.delete(did))
    }
    return known
  }

  async set(did: string, session: NodeSavedSession) {
    const old = await this.get(did).catch(() => undefined)
    if (old && old.tokenSet.refresh_token !== session.tokenSet.refresh_token) this.replaced ??= old
    this.#known.delete(did)
    await this.#inner.set(did, session)
    this.#known.set(did, Promise.resolve(session))
  }

  async del(did: string) {
    this.#known.delete(did)
    await this.#inner.del(did)
    this.#known.set(did, Promise.resolve(undefined))
  }
}
