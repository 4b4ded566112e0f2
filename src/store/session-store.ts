// Adapts a SecretStore to the session store interface of the OAuth client.
// Every get() reads the store afresh: the refresh logic re-reads the session
// inside the cross-process lock, and must see what another process just wrote.
import type { NodeSavedSession, NodeSavedSessionStore } from '@atproto/oauth-client-node'
import type { SecretStore } from './secret-store.js'

export class SecretSessionStore implements NodeSavedSessionStore {
  readonly #secrets: SecretStore

  constructor(secrets: SecretStore) {
    this.#secrets = secrets
  }

  async get(did: string): Promise<NodeSavedSession | undefined> {
    const stored = await this.#secrets.get(did)
    return stored === undefined ? undefined : (JSON.parse(stored) as NodeSavedSession)
  }

  async set(did: string, session: NodeSavedSession): Promise<void> {
    await this.#secrets.set(did, JSON.stringify(session))
  }

  async del(did: string): Promise<void> {
    await this.#secrets.delete(did)
  }
}
