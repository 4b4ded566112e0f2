// Opening the stored session of the account a command acts for. Normally the
// account index says who that is, where its secrets live and which client_id
// it logged in with; an exported session (ATOAUTH_SESSION / _FILE) replaces
// both the index and the keychain. The OAuth client then restores (and, when
// due, refreshes) the session under the cross-process lock.
import type {
  NodeOAuthClient,
  NodeSavedSession,
  NodeSavedSessionStore,
  OAuthSession,
} from '@atproto/oauth-client-node'
import type { Context } from '../context.js'
import { SessionEndedError, UsageError } from '../errors.js'
import type { ExportedSessionSource, StoreKind } from '../settings.js'
import { type AccountIdentity, AccountIndex, isAccount } from '../store/account-index.js'
import { openSecretStore, type SecretStore } from '../store/secret-store.js'
import { SecretSessionStore } from '../store/session-store.js'
import { createOAuthClient } from './oauth-client-factory.js'
import { isSessionEnd, sessionEndReason } from './session-end.js'

/** Where a command's session lives: reported by whoami and accounts. */
export type SessionStorage = StoreKind | ExportedSessionSource['kind']

export type ResolvedAccount = {
  account: AccountIdentity
  storage: SessionStorage
  sessionStore: NodeSavedSessionStore
  /** Set when an earlier command saw the session end. */
  needsLogin?: { since: string; reason: string }
}

export type AccountSession = ResolvedAccount & {
  client: NodeOAuthClient
  session: OAuthSession
}

/** Opens a secret store, saying so on stderr whenever it is the plaintext one. */
export async function openStore(ctx: Context, kind: StoreKind): Promise<SecretStore> {
  const store = await openSecretStore(kind, ctx.settings)
  if (store.kind === 'file') {
    ctx.out.warn(`using insecure plaintext session storage in ${store.location}`)
  }
  return store
}

/** The account named by handle or DID (default: --account / ATOAUTH_ACCOUNT / the default one). */
export async function resolveAccount(
  ctx: Context,
  handleOrDid: string | undefined = ctx.settings.account,
): Promise<ResolvedAccount> {
  const source = ctx.settings.exportedSession
  if (source) {
    const { ExportedSessionStore } = await import('../store/exported-session-store.js')
    const store = await ExportedSessionStore.open(source, { warn: (m) => ctx.out.warn(m) })
    if (handleOrDid !== undefined && !isAccount(store.account, handleOrDid)) {
      throw new UsageError(
        `${store.description} holds the session of ${store.account.handle}, not of ${handleOrDid}.`,
        'Drop --account / ATOAUTH_ACCOUNT, or unset the exported session to use the keychain.',
      )
    }
    return { account: store.account, storage: source.kind, sessionStore: store }
  }
  const index = await AccountIndex.load(ctx.settings.configDir)
  const record = index.resolve(handleOrDid)
  const secrets = await openStore(ctx, record.store)
  const { needsLogin, store, ...account } = record
  return {
    account,
    storage: store,
    sessionStore: new SecretSessionStore(secrets),
    ...(needsLogin ? { needsLogin } : {}),
  }
}

/**
 * An OAuth client for this account's client_id and scopes, over the given
 * session store. With `markEnded`, a session the library drops because it
 * ended (refresh refused, token no longer accepted) marks the account as
 * needing a new login, so later commands say so without a network call.
 */
export async function openAccountClient(
  ctx: Context,
  account: AccountIdentity,
  sessionStore: NodeSavedSessionStore,
  options: { markEnded?: boolean } = {},
): Promise<NodeOAuthClient> {
  // Loaded here, not with this module: whoami's warm path resolves accounts
  // without the metadata schemas.
  const { runtimeClientMetadata } = await import('./client-metadata.js')
  return createOAuthClient({
    settings: ctx.settings,
    clientMetadata: runtimeClientMetadata({ clientId: account.clientId, scope: account.scope }),
    sessionStore,
    ...(options.markEnded
      ? { onSessionDeleted: (did, cause) => markNeedsLogin(ctx, did, cause) }
      : {}),
  })
}

async function markNeedsLogin(ctx: Context, did: string, cause: unknown): Promise<void> {
  // A revocation we asked for (logout) is not an ending to report.
  if (cause instanceof Error && cause.constructor.name === 'TokenRevokedError') return
  const needsLogin = { since: ctx.now().toISOString(), reason: sessionEndReason(cause) }
  await AccountIndex.update(ctx.settings.configDir, (index) => {
    index.markNeedsLogin(did, needsLogin)
  }).catch(() => {
    // The session is gone either way; the index only saves a round trip later.
  })
}

/**
 * Ends, at the server, a session that is no longer kept anywhere — the one a
 * new login replaced. Best effort: it would expire on its own.
 */
export async function revokeReplacedSession(
  ctx: Context,
  account: AccountIdentity,
  saved: NodeSavedSession,
): Promise<void> {
  const { MemoryStore } = await import('./oauth-client-factory.js')
  const sessionStore = new MemoryStore<NodeSavedSession>()
  await sessionStore.set(account.did, saved)
  const client = await openAccountClient(ctx, account, sessionStore)
  await client.revoke(account.did).catch(() => {})
}

/**
 * The session of the account the command acts for (resolved already, or now),
 * refreshed if due. An account already known to need a new login fails at
 * once (exit 3).
 */
export async function restoreAccountSession(
  ctx: Context,
  alreadyResolved?: ResolvedAccount,
): Promise<AccountSession> {
  const resolved = alreadyResolved ?? (await resolveAccount(ctx))
  ctx.actingFor = resolved.account
  if (resolved.needsLogin) {
    throw new SessionEndedError(resolved.account.handle, resolved.needsLogin.reason)
  }
  const indexed = resolved.storage === 'keychain' || resolved.storage === 'file'
  const client = await openAccountClient(ctx, resolved.account, resolved.sessionStore, {
    markEnded: indexed,
  })
  try {
    const session = await client.restore(resolved.account.did)
    return { ...resolved, client, session }
  } catch (err) {
    throw asSessionEnded(err, resolved.account) ?? err
  }
}

/** Maps the OAuth client's "this session is gone" errors onto exit code 3. */
export function asSessionEnded(
  err: unknown,
  account: AccountIdentity,
): SessionEndedError | undefined {
  if (!isSessionEnd(err)) return undefined
  return new SessionEndedError(account.handle, sessionEndReason(err), err)
}
