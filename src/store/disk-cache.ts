// The OAuth client's caches (server metadata, DPoP nonces) as small JSON files, nothing secret, so
// a fresh process does not pay their round trips again. An entry lost to a concurrent write, or a
// stale one, costs only a miss (a stale nonce is answered with a fresh one; the client retries).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomically } from './atomic-write.js'
import { parseJson } from './parse-json.js'

type Entry = { value: unknown; expiresAt: number }
type CacheFile = { version: 1; entries: Record<string, Entry> }

export class DiskCache<V extends NonNullable<unknown> | null> {
  readonly #path: string
  readonly #ttlMs: number
  #loaded: Promise<Record<string, Entry>> | undefined

  constructor(dir: string, name: string, ttlMs: number) {
    this.#path = join(dir, `${name}.json`)
    this.#ttlMs = ttlMs
  }

  async get(key: string): Promise<V | undefined> {
    const entry = (await this.#entries())[key]
    return entry && entry.expiresAt > Date.now() ? (entry.value as V) : undefined
  }

  async set(key: string, value: V): Promise<void> {
    await this.#write(key, { value, expiresAt: Date.now() + this.#ttlMs })
  }

  async del(key: string): Promise<void> {
    await this.#write(key, undefined)
  }

  /** Read once per process: the file is small, and other processes only add to it. */
  #entries(): Promise<Record<string, Entry>> {
    // A missing, corrupt or foreign file is an empty cache; the next write replaces it.
    this.#loaded ??= readFile(this.#path, 'utf8').then(
      (text) => {
        const data = parseJson(text) as CacheFile | undefined
        return data?.version === 1 && typeof data.entries === 'object' ? data.entries : {}
      },
      () => ({}),
    )
    return this.#loaded
  }

  async #write(key: string, entry: Entry | undefined): Promise<void> {
    const entries = await this.#entries()
    if (entry) entries[key] = entry
    else delete entries[key]
    const now = Date.now()
    for (const [key, entry] of Object.entries(entries)) {
      if (entry.expiresAt <= now) delete entries[key]
    }
    const text = JSON.stringify({ version: 1, entries } satisfies CacheFile)
    // No fsync: a crash costs a miss. A cache that cannot be written (read-only home) only slows.
    await writeFileAtomically(this.#path, text, { fsync: false }).catch(() => {})
  }
}

// Nonces rotate every few minutes; server metadata rarely, but a change must show within minutes.
// (Handles and DID documents stay in memory: a handle that did not resolve must not stay so.)
const OAUTH_CACHES = {
  dpopNonces: { file: 'dpop-nonces', ttlMs: 2 * 60_000 },
  authorizationServers: { file: 'authorization-servers', ttlMs: 15 * 60_000 },
  protectedResources: { file: 'protected-resources', ttlMs: 15 * 60_000 },
} as const

export function openOAuthCache<V extends NonNullable<unknown> | null>(
  dir: string,
  which: keyof typeof OAUTH_CACHES,
): DiskCache<V> {
  return new DiskCache<V>(dir, OAUTH_CACHES[which].file, OAUTH_CACHES[which].ttlMs)
}
