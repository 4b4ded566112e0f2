// Builds the NodeOAuthClient the way every command needs it: our stores, our
// cross-process lock, and the local-development overrides from the settings.
import type {
  NodeOAuthClient,
  NodeSavedState,
  NodeSavedStateStore,
} from '@atproto/oauth-client-node'
import type { OAuthClientMetadataInput } from '@atproto/oauth-types'
import type { Settings } from '../settings.js'
import { createFileLock } from '../store/file-lock.js'
import type { SecretSessionStore } from '../store/session-store.js'

export type OAuthClientOptions = {
  settings: Settings
  clientMetadata: OAuthClientMetadataInput
  sessionStore: SecretSessionStore
}

export async function createOAuthClient(options: OAuthClientOptions): Promise<NodeOAuthClient> {
  const { NodeOAuthClient } = await import('@atproto/oauth-client-node')
  const { settings } = options
  return new NodeOAuthClient({
    clientMetadata: options.clientMetadata,
    sessionStore: options.sessionStore,
    stateStore: new MemoryStateStore(),
    requestLock: createFileLock(settings.configDir),
    allowHttp: settings.allowHttp,
    ...(settings.plcDirectoryUrl ? { plcDirectoryUrl: settings.plcDirectoryUrl } : {}),
    ...(settings.handleResolverUrl ? { handleResolver: settings.handleResolverUrl } : {}),
  })
}

/**
 * The authorization state (PKCE verifier, DPoP key) only has to live as long
 * as the `login` process that created it, so it never leaves memory.
 */
class MemoryStateStore implements NodeSavedStateStore {
  readonly #states = new Map<string, NodeSavedState>()
  async get(key: string) {
    return this.#states.get(key)
  }
  async set(key: string, value: NodeSavedState) {
    this.#states.set(key, value)
  }
  async del(key: string) {
    this.#states.delete(key)
  }
}
