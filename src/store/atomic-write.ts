// Writes a file by renaming a complete temporary copy over it, so that a
// crash or a concurrent reader never sees half a file. write-file-atomic is
// loaded on the first write only: most commands only read, and a command's
// start-up pays for every module it loads.
import type { Options } from 'write-file-atomic'

export async function writeFileAtomically(
  path: string,
  data: string,
  options: Options = {},
): Promise<void> {
  const writeFileAtomic = await loadWriteFileAtomic()
  await writeFileAtomic(path, data, options)
}

export async function loadWriteFileAtomic() {
  return (await import('write-file-atomic')).default
}
