// Replaces a file by renaming a complete temporary copy over it: a crash or a concurrent reader
// never sees half a file. 0600 in a 0700 folder: what atoauth writes is private. Loaded on the
// first write only: most commands only read, and start-up pays for every module loaded.
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'

export async function writeFileAtomically(
  path: string,
  data: string,
  options: { fsync?: boolean } = {},
): Promise<void> {
  const [{ default: writeFileAtomic }] = await Promise.all([
    import('write-file-atomic'),
    mkdir(dirname(path), { recursive: true, mode: 0o700 }),
  ])
  await writeFileAtomic(path, data, { ...options, mode: 0o600 })
}
