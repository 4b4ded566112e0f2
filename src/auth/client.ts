// Builds the NodeOAuthClient the way every command needs it: our stores, our
// cross-process lock, and the local-development overrides from the settings;
// and the one way atoauth ends a session at the server.
import type {
  NodeOAuthClient,
  NodeOAuthClientOptions,
  NodeSavedSessionStore,
} from '@atproto/oauth-client-node'
import type { OAuthClientMetadataInput } from '@atproto/oauth-types'
import type { Context } from '../context.js'
import type { Settings } from '../settings.js'
import type { AccountIdentity } from '../store/account-index.js'
import { createFileLock } from '../store/file-lock.js'
import { keepingTokenAnswer } from '../token-answer-hold.js'
import { libraryFetch } from './library-fetch.js'

export type OAuthClientOptions = {
  clientMetadata: OAuthClientMetadataInput
  sessionStore: NodeSavedSessionStore
  /** Where a login keeps its PKCE verifier and DPoP key until the callback. */
  stateStore?: MemoryStore<unknown>
  /** Told when the library drops a stored session (refresh refused, revoked, invalid). */
  onSessionDeleted?: (did: string, cause: unknown) => void | Promise<void>
  /** What sends every request the client makes, within library-fetch.ts's bounds (default: fetch). */
  fetch?: typeof globalThis.fetch
  /** Told when the library waits for another process's refresh. */
  notice?: (message: string) => void
}

/** What one of the OAuth client's caches holds. */
type CachedValue<K extends keyof NodeOAuthClientOptions> =
  NonNullable<NodeOAuthClientOptions[K]> extends { set(key: string, value: infer V): unknown }
    ? V
    : never

export async function createOAuthClient(
  settings: Settings,
  options: OAuthClientOptions,
): Promise<NodeOAuthClient> {
  const [{ NodeOAuthClient }, { openOAuthCache }] = await Promise.all([
    import('@atproto/oauth-client-node'),
    import('../store/disk-cache.js'),
  ])
  const dir = settings.cacheDir
  const lock = createFileLock(settings.configDir, { notice: options.notice })
  return new NodeOAuthClient({
    clientMetadata: options.clientMetadata,
    sessionStore: options.sessionStore,
    // The authorization state (PKCE verifier, DPoP key) only has to live as
    // long as the `login` process that created it, so it never leaves memory.
    stateStore: (options.stateStore ?? new MemoryStore()) as NodeOAuthClientOptions['stateStore'],
    ...(options.onSessionDeleted ? { onSessionDeleted: options.onSessionDeleted } : {}),
    // A refresh (its token request, the storing of its answer, the lock's release) is finished
    // whatever signal comes: a spent refresh token left unstored would cost the session.
    requestLock: (name, fn) => keepingTokenAnswer('refresh', () => lock(name, fn)),
    // Kept between runs, so that a warm command makes only the request it needs.
    dpopNonceCache: openOAuthCache<CachedValue<'dpopNonceCache'>>(dir, 'dpopNonces'),
    authorizationServerMetadataCache: openOAuthCache<
      CachedValue<'authorizationServerMetadataCache'>
    >(dir, 'authorizationServers'),
    protectedResourceMetadataCache: openOAuthCache<CachedValue<'protectedResourceMetadataCache'>>(
      dir,
      'protectedResources',
    ),
    allowHttp: settings.allowHttp,
    fetch: libraryFetch(options.fetch),
    ...(settings.plcDirectoryUrl ? { plcDirectoryUrl: settings.plcDirectoryUrl } : {}),
    ...(settings.handleResolverUrl ? { handleResolver: settings.handleResolverUrl } : {}),
  })
}

/** A client for an account that logged in already, over the store that holds its session. */
export async function accountClient(
  ctx: Pick<Context, 'oauthClient' | 'out'>,
  account: AccountIdentity,
  sessionStore: NodeSavedSessionStore,
  onSessionDeleted?: OAuthClientOptions['onSessionDeleted'],
): Promise<NodeOAuthClient> {
  const { runtimeClientMetadata } = await import('./client-metadata.js')
  return ctx.oauthClient({
    clientMetadata: runtimeClientMetadata({ clientId: account.clientId, scope: account.scope }),
    sessionStore,
    notice: (message) => ctx.out.warn(message),
    ...(onSessionDeleted ? { onSessionDeleted } : {}),
  })
}

/** Revokes at the server and deletes from `store` whatever happens; rejects on failure. */
export async function revokeSession(
  ctx: Pick<Context, 'oauthClient' | 'out'>,
  account: AccountIdentity,
  store: NodeSavedSessionStore,
): Promise<void> {
  const client = await accountClient(ctx, account, store)
  try {
    await client.revoke(account.did)
  } catch (err) {
    await store.del(account.did)
    throw err
  }
}

/** A store that lives and dies with the process. */
export class MemoryStore<T> {
  readonly #values = new Map<string, T>()
  async get(key: string): Promise<T | undefined> {
    return this.#values.get(key)
  }
  async set(key: string, value: T): Promise<void> {
    this.#values.set(key, value)
  }
  async del(key: string): Promise<void> {
    this.#values.delete(key)
  }
  has(key: string): boolean {
    return this.#values.has(key)
  }
}
