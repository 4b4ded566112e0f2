// Replaces a file by renaming a complete temporary copy over it: a crash or a concurrent reader
// never sees half a file. 0600 in a 0700 folder: what atoauth writes is private. Loaded on the
// first write only: most commands only read, and start-up pays for every module loaded.
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * On Windows a rename over a file fails for a moment while another program holds it open
 * (an antivirus, the indexer, an atoauth reading it): a rotated session must not be lost to that.
 * Elsewhere these codes mean a real permission problem, which waiting would only delay.
 */
const TRANSIENT_ON_WINDOWS = new Set(['EPERM', 'EBUSY', 'EACCES'])
/** About one second in all, then the error stands. */
export const RENAME_RETRY_DELAYS_MS = [10, 20, 40, 80, 160, 250, 440]

export async function writeFileAtomically(
  path: string,
  data: string,
  options: { fsync?: boolean } = {},
): Promise<void> {
  const [{ default: writeFileAtomic }] = await Promise.all([
    import('write-file-atomic'),
    mkdir(dirname(path), { recursive: true, mode: 0o700 }),
  ])
  // write-file-atomic removes its temporary file when the rename fails: each attempt is whole.
  await retryingTransientFailures(() => writeFileAtomic(path, data, { ...options, mode: 0o600 }))
}

/** Runs `write`, again after a short wait while it fails the way Windows fails for a moment. */
export async function retryingTransientFailures(
  write: () => Promise<void>,
  platform: NodeJS.Platform = process.platform,
  delaysMs: readonly number[] = RENAME_RETRY_DELAYS_MS,
): Promise<void> {
  for (const delay of platform === 'win32' ? delaysMs : []) {
    try {
      return await write()
    } catch (err) {
      if (!TRANSIENT_ON_WINDOWS.has((err as NodeJS.ErrnoException).code ?? '')) throw err
    }
    await sleep(delay)
  }
  return write()
}
