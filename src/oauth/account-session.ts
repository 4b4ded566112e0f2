// Opening the stored session of a logged-in account: the account index says
// where its secrets live and which client_id it logged in with; the OAuth
// client restores (and, when due, refreshes) the session under the lock.
import type { NodeOAuthClient, OAuthSession } from '@atproto/oauth-client-node'
import type { Context } from '../context.js'
import { SessionEndedError } from '../errors.js'
import type { StoreKind } from '../settings.js'
import { AccountIndex, type AccountRecord } from '../store/account-index.js'
import { openSecretStore, type SecretStore } from '../store/secret-store.js'
import { SecretSessionStore } from '../store/session-store.js'
import { runtimeClientMetadata } from './client-metadata.js'
import { createOAuthClient } from './oauth-client-factory.js'

export type AccountSession = {
  index: AccountIndex
  record: AccountRecord
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

export async function openAccountClient(ctx: Context, record: AccountRecord) {
  const secrets = await openStore(ctx, record.store)
  const client = await createOAuthClient({
    settings: ctx.settings,
    clientMetadata: runtimeClientMetadata({ clientId: record.clientId, scope: record.scope }),
    sessionStore: new SecretSessionStore(secrets),
  })
  return client
}

export async function restoreAccountSession(ctx: Context): Promise<AccountSession> {
  const index = await AccountIndex.load(ctx.settings.configDir)
  const record = index.resolve(ctx.settings.account)
  const client = await openAccountClient(ctx, record)
  try {
    const session = await client.restore(record.did)
    return { index, record, client, session }
  } catch (err) {
    throw asSessionEnded(err, record) ?? err
  }
}

/** Maps the OAuth client's "this session is gone" errors onto exit code 3. */
export function asSessionEnded(err: unknown, record: AccountRecord): SessionEndedError | undefined {
  const name = err instanceof Error ? err.constructor.name : ''
  if (!['TokenRefreshError', 'TokenRevokedError', 'TokenInvalidError'].includes(name)) return
  const reason = (err as Error).message || 'it was revoked or expired'
  return new SessionEndedError(record.handle, reason, err)
}
