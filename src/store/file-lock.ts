// The cross-process lock handed to the OAuth client as its `requestLock`.
// Refresh tokens are single-use and a replayed one revokes the whole session,
// so two atoauth processes must never refresh the same session at once.
// proper-lockfile keeps the lock fresh while it is held; a holder that died
// (kill -9) leaves a lock that turns stale after STALE_MS and is taken over.
import { createHash } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { RuntimeLock } from '@atproto/oauth-client-node'
import { AtoauthError } from '../errors.js'

const STALE_MS = 4_000
/** Longer than a refresh can take (the client aborts one after 30 s). */
const MAX_WAIT_MS = 45_000

export function createFileLock(configDir: string): RuntimeLock {
  const dir = join(configDir, 'locks')
  return async (name, fn) => {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const target = join(dir, createHash('sha256').update(name).digest('hex').slice(0, 32))
    const lockfile = await loadLockfile()
    let release: () => Promise<void>
    try {
      release = await lockfile.lock(target, {
        realpath: false,
        stale: STALE_MS,
        update: STALE_MS / 4,
        retries: {
          retries: Math.ceil(MAX_WAIT_MS / 100),
          factor: 1,
          minTimeout: 25,
          maxTimeout: 100,
          randomize: true,
        },
        // Losing the lock while holding it means another process took it over
        // after we stalled for longer than STALE_MS. The refresh in progress
        // finishes regardless; there is nothing better to do than carry on.
        onCompromised: () => {},
      })
    } catch (err) {
      throw new AtoauthError(
        'lock_timeout',
        'Another atoauth process is holding the session lock.',
        {
          hint: 'Wait for it to finish, then try again.',
          cause: err,
        },
      )
    }
    try {
      return await fn()
    } finally {
      await release().catch(() => {})
    }
  }
}

/** proper-lockfile, loaded on first use, not at start-up: only a refresh or a write takes a lock. */
export async function loadLockfile() {
  return (await import('proper-lockfile')).default
}
