// atoauth login <handle | did | url>: sign in through the browser and keep
// the session in the OS keychain (or, opted in, the plaintext file store).
import type { NodeSavedSession, NodeSavedSessionStore } from '@atproto/oauth-client-node'
import { Command } from 'commander'
import type { Context } from '../context.js'
import type { LoginFlowOptions } from '../oauth/login-flow.js'
import { loginFlowOptions, withLoginFlowOptions } from '../oauth/login-flow.js'
import type { CommandResult } from '../output.js'
import type { AccountRecord } from '../store/account-index.js'
import type { SecretStore } from '../store/secret-store.js'
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

  // The keychain, opened once the account's lookups are under way (signIn
  // starts `ready` then), and proven to work before the person spends time
  // in the browser: signIn waits for the probe before its first
  // authorization request.
  let opening: Promise<SecretStore> | undefined
  const secrets = () => (opening ??= openStore(ctx, ctx.settings.storeKind))
  const store = new ReplacementTrackingStore(() =>
    secrets().then((opened) => new SecretSessionStore(opened)),
  )
  let record: AccountRecord | undefined
  let previous: AccountRecord | undefined
  const { did, revokeEarlier } = await signIn(ctx, options, store, {
    ready: async () => (await secrets()).probe(),
    // While the person is in the browser: what storing the account needs, and
    // the session it will replace (read once: the store remembers it).
    prepare: async (did) => {
      const { AccountIndex } = await import('../store/account-index.js')
      await Promise.all([AccountIndex.preloadUpdate(), did && store.get(did)])
    },
    // A session nobody can find again must not stay valid: signIn revokes it if this throws.
    finish: async ({ account }) => {
      const { AccountIndex } = await import('../store/account-index.js')
      const made: AccountRecord = { ...account, store: (await secrets()).kind }
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
  if (replaced) {
    const account = previous ?? record
    const revoked = await revokeEarlier?.(replaced, account.clientId)
    if (!revoked) await revokeReplacedSession(ctx, account, replaced)
  }

  return {
    data: {
      did: record.did,
      handle: record.handle,
      pds: record.pds,
      scope: record.scope,
      store: record.store,
    },
    text: [`Logged in as ${record.handle} (${did}) on ${record.pds}`],
  }
}

/**
 * The login's view of the account's stored session: remembers the session a
 * new login overwrites, so that it can be revoked, and keeps what it read and
 * wrote, so that the OAuth client's checks and ours during the code exchange
 * read the keychain once (each read is a D-Bus round trip to the keychain).
 */
class ReplacementTrackingStore implements NodeSavedSessionStore {
  readonly #open: () => Promise<NodeSavedSessionStore>
  readonly #known = new Map<string, Promise<NodeSavedSession | undefined>>()
  replaced: NodeSavedSession | undefined

  /** `open` gives the store itself, opened on first use. */
  constructor(open: () => Promise<NodeSavedSessionStore>) {
    this.#open = open
  }

  get(did: string): Promise<NodeSavedSession | undefined> {
    let known = this.#known.get(did)
    if (!known) {
      known = this.#open().then((inner) => inner.get(did))
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
    await (await this.#open()).set(did, session)
    this.#known.set(did, Promise.resolve(session))
  }

  async del(did: string) {
    this.#known.delete(did)
    await (await this.#open()).del(did)
    this.#known.set(did, Promise.resolve(undefined))
  }
}
