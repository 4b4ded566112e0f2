// The config dir holds the account list, the refresh locks and (opt-in) plaintext sessions:
// atoauth must write it, nobody else should read it, let alone change it (a replaced
// accounts.json or lock file would mislead every command).
import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { suggestCommand } from '../errors/suggested-command.js'
import { type Check, fail, ok, warn } from './check.js'

const NAME = 'config-dir'

export async function configDirCheck(dir: string): Promise<Check> {
  const found = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (!found) return missingDirCheck(dir)
  if (!found.isDirectory()) {
    const hint = 'Remove it, or set ATOAUTH_CONFIG_DIR elsewhere.'
    return fail(NAME, `${dir} is not a directory`, hint)
  }
  if (!(await isWritable(dir))) {
    const hint = suggestCommand`chmod u+rwx ${dir}, or set ATOAUTH_CONFIG_DIR to a directory you own.`
    return fail(NAME, `${dir} is not writable by you`, hint)
  }
  // Windows has no such mode bits: its ACLs are out of scope here.
  if (process.platform === 'win32') return ok(NAME, `${dir} is writable`)
  const mode = (found.mode & 0o777).toString(8).padStart(3, '0')
  const fix = suggestCommand`chmod 700 ${dir}`
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
  const detail = `${dir} does not exist and cannot be created: ${parent} is not writable by you`
  return fail(NAME, detail, 'Set ATOAUTH_CONFIG_DIR to a directory you can write.')
}

function isWritable(dir: string): Promise<boolean> {
  const checked = access(dir, constants.W_OK | constants.X_OK)
  return checked.then(() => true).catch(() => false)
}
