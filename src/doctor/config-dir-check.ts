// The config dir holds the account list, the refresh locks and (opt-in) the
// plaintext sessions: atoauth must be able to write it, and nobody else should
// read it, let alone change it (a replaced accounts.json or lock file would
// mislead every command).
import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type Check, fail, ok, warn } from './check.js'

const NAME = 'config-dir'

export async function configDirCheck(dir: string): Promise<Check> {
  const found = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (!found) return missingDirCheck(dir)
  if (!found.isDirectory()) {
    return fail(
      NAME,
      `${dir} is not a directory`,
      'Remove it, or set ATOAUTH_CONFIG_DIR elsewhere.',
    )
  }
  if (!(await isWritable(dir))) {
    return fail(
      NAME,
      `${dir} is not writable by you`,
      `chmod u+rwx ${dir}, or set ATOAUTH_CONFIG_DIR to a directory you own.`,
    )
  }
  // Windows has no such mode bits: its ACLs are out of scope here.
  if (process.platform === 'win32') return ok(NAME, `${dir} is writable`)
  const mode = (found.mode & 0o777).toString(8).padStart(3, '0')
  const fix = `chmod 700 ${dir}`
  if (found.mode & 0o022) {
    return fail(NAME, `${dir} has mode ${mode}: other users can change the files in it`, fix)
  }
  if (found.mode & 0o077) return warn(NAME, `${dir} has mode ${mode}: other users can read it`, fix)
  return ok(NAME, `${dir} is writable, mode ${mode}`)
}

/** The first login creates the directory (mode 700): it only has to be creatable. */
async function missingDirCheck(dir: string): Promise<Check> {
  let parent = dirname(dir)
  while (!(await stat(parent).catch(() => undefined)) && dirname(parent) !== parent) {
    parent = dirname(parent)
  }
  if (await isWritable(parent)) {
    return ok(NAME, `${dir} does not exist yet; the first login creates it (mode 700)`)
  }
  return fail(
    NAME,
    `${dir} does not exist and cannot be created: ${parent} is not writable by you`,
    'Set ATOAUTH_CONFIG_DIR to a directory you can write.',
  )
}

function isWritable(dir: string): Promise<boolean> {
  return access(dir, constants.W_OK | constants.X_OK).then(
    () => true,
    () => false,
  )
}
