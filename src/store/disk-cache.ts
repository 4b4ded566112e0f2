// The OAuth client's caches (server metadata, DPoP nonces), kept between
// processes so that a fresh one does not pay their round trips again: small
// JSON files under the cache dir, nothing secret, each entry with an expiry.
// A write replaces the file atomically; an entry lost to a concurrent write,
// or a stale one, costs only what a miss costs (a stale nonce is answered
// with a fresh one, which the client retries with).
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
    if (!entry || entry.expiresAt <= Date.now()) return undefined
    return entry.value as V
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
    // No fsync: an entry lost to a crash is only a cache miss. A cache that
    // cannot be written (read-only home, full disk) is only slower.
    await writeFileAtomically(this.#path, text, { fsync: false }).catch(() => {})
  }
}

const MINUTE = 60_000

// Nonces rotate every few minutes; server metadata rarely, but a change must be
// seen within minutes. (Handles and DID documents stay in memory: a handle that
// did not resolve must not stay unresolvable.)
const OAUTH_CACHES = {
  dpopNonces: { file: 'dpop-nonces', ttlMs: 2 * MINUTE },
  authorizationServers: { file: 'authorization-servers', ttlMs: 15 * MINUTE },
  protectedResources: { file: 'protected-resources', ttlMs: 15 * MINUTE },
} as const

export function openOAuthCache<V extends NonNullable<unknown> | null>(
  dir: string,
  which: keyof typeof OAUTH_CACHES,
): DiskCache<V> {
  const { file, ttlMs } = OAUTH_CACHES[which]
  return new DiskCache<V>(dir, file, ttlMs)
}
