// A SecretStore as the OAuth client's session store. Every get() reads afresh: the refresh logic
// re-reads the session inside the cross-process lock, and must see what another process wrote.
import type { NodeSavedSession, NodeSavedSessionStore } from '@atproto/oauth-client-node'
import { accountWord, suggestCommand } from '../errors/suggested-command.js'
import { AtoauthError, ExitCode } from '../errors.js'
import { parseJson } from './parse-json.js'
import type { SecretStore } from './secret-store.js'

export class SecretSessionStore implements NodeSavedSessionStore {
  readonly #secrets: SecretStore

  constructor(secrets: SecretStore) {
    this.#secrets = secrets
  }

  async get(did: string): Promise<NodeSavedSession | undefined> {
    const stored = await this.#secrets.get(did)
    if (stored === undefined) return undefined
    const session = parseJson(stored)
    if (isSavedSession(session)) return session
    // Never JSON.parse's message, nor any part of the text: it is a secret.
    const message = `The session for ${did} in ${this.#secrets.location} is damaged: it is not a saved session.`
    const hint = suggestCommand`Log in again to replace it: atoauth login ${accountWord(did)}`
    throw new AtoauthError('session_unreadable', message, { hint, exitCode: ExitCode.authRequired })
  }

  async set(did: string, session: NodeSavedSession): Promise<void> {
    await this.#secrets.set(did, JSON.stringify(session))
  }

  async del(did: string): Promise<void> {
    await this.#secrets.delete(did)
  }
}

/** Whether `value` has the shape of the OAuth client's saved session. */
export function isSavedSession(value: unknown): value is NodeSavedSession {
  const { dpopJwk, tokenSet } = (value ?? {}) as Partial<NodeSavedSession>
  return [dpopJwk, tokenSet].every((part) => typeof part === 'object' && part !== null)
}
