// Where e2e tests find a session atoauth stored (the Secret Service, the
// plaintext file store), and what they do with one: age it, count the
// refreshes the server granted.
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { AsyncEntry } from '@napi-rs/keyring'
import type { Sandbox } from '../sandbox/sandbox.ts'

export type StoredSession = {
  dpopJwk: { d?: string; [k: string]: unknown }
  tokenSet: { access_token: string; refresh_token?: string; expires_at?: string; sub: string }
}

/** Where the opt-in plaintext store keeps an account's session. */
export function insecureSessionFile(configDir: string, did: string): string {
  return join(configDir, 'insecure-sessions', `${encodeURIComponent(did)}.json`)
}

export async function keychainEntry(did: string): Promise<string | undefined> {
  const entry = new AsyncEntry('atoauth', did, { linux: { store: 'secret-service' } })
  return (await entry.getPassword()) ?? undefined
}

export async function deleteKeychainEntry(did: string): Promise<void> {
  await new AsyncEntry('atoauth', did, { linux: { store: 'secret-service' } })
    .deleteCredential()
    .catch(() => {})
}

export async function setKeychainEntry(did: string, value: string): Promise<void> {
  await new AsyncEntry('atoauth', did, { linux: { store: 'secret-service' } }).setPassword(value)
}

/**
 * The same session with an access token that looks expired, so the next
 * command must refresh it (the PDS still honours the token; only the client
 * side decides to refresh).
 */
export function withStaleAccessToken<T extends StoredSession>(session: T): T {
  const expired = new Date(Date.now() - 60_000).toISOString()
  return { ...session, tokenSet: { ...session.tokenSet, expires_at: expired } }
}

/**
 * How many token refreshes the PDS granted since `from` (an index into its
 * request log). A refresh may take two requests: the first one only fetches
 * a DPoP nonce (400 use_dpop_nonce).
 */
export function refreshesSince(sandbox: Sandbox, from: number): number {
  return sandbox.requests
    .slice(from)
    .filter((r) => r.method === 'POST' && r.path === '/oauth/token' && r.status === 200).length
}

export async function listFiles(dir: string): Promise<string[]> {
  return readdir(dir, { recursive: true }).catch(() => [])
}
