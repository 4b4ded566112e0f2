// Node's compile cache, kept where only this user can write. Node's default
// place, $TMPDIR/node-compile-cache, is a name every local user can guess and
// create first, and Node takes a cached entry from any folder that holds one
// (it checks only a checksum of the source): on a shared machine another user
// could make atoauth run their code, with the keychain in reach. The cache
// goes instead into atoauth's own cache folder, and only when that folder and
// the cache's own are this user's alone; otherwise atoauth runs without one,
// a little slower. Loaded by the launcher before dist/, so plain JS, built-in
// modules taken only once the launcher has checked the Node version.

/** The one folder name under atoauth's cache folder. */
export const COMPILE_CACHE_FOLDER = 'node-compile-cache'

/**
 * Where atoauth keeps its caches: settings.ts's cacheDir, which the bundle
 * takes from env-paths (not installed with the package). A unit test keeps the
 * two the same on Linux, macOS and Windows. `home` is asked only when needed.
 */
export function atoauthCacheDir(env = process.env, platform = process.platform, home = homedir) {
  if (env.ATOAUTH_CACHE_DIR) return env.ATOAUTH_CACHE_DIR
  const { join } = builtin('path')
  if (platform === 'darwin') return join(home(), 'Library', 'Caches', 'atoauth')
  if (platform === 'win32') {
    return join(env.LOCALAPPDATA || join(home(), 'AppData', 'Local'), 'atoauth', 'Cache')
  }
  return join(env.XDG_CACHE_HOME || join(home(), '.cache'), 'atoauth')
}

/**
 * Turns the compile cache on in atoauth's cache folder when it is private,
 * and says where (undefined: no cache). A NODE_COMPILE_CACHE the user set is
 * theirs: Node has already acted on it (or on NODE_DISABLE_COMPILE_CACHE).
 */
export function enablePrivateCompileCache(env = process.env) {
  if (env.NODE_COMPILE_CACHE || env.NODE_DISABLE_COMPILE_CACHE) return undefined
  const module = builtin('module')
  if (!module.enableCompileCache) return undefined
  const dir = privateCompileCacheDir(atoauthCacheDir(env))
  if (dir) module.enableCompileCache(dir)
  return dir
}

/**
 * The compile cache's folder under `cacheDir`, made 0700 where missing, or
 * undefined unless it and `cacheDir` are each private (see isPrivateFolder):
 * a folder another user can write in lets them swap what is inside it.
 */
export function privateCompileCacheDir(cacheDir, uid = process.getuid?.()) {
  const fs = builtin('fs')
  const { join, resolve } = builtin('path')
  // Resolved: a trailing slash would make lstat follow a link.
  const parent = resolve(cacheDir)
  const dir = join(parent, COMPILE_CACHE_FOLDER)
  try {
    let own = fs.lstatSync(dir, { throwIfNoEntry: false })
    if (!own) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
      own = fs.lstatSync(dir)
    }
    return isPrivateFolder(own, uid) && isPrivateFolder(fs.lstatSync(parent), uid) ? dir : undefined
  } catch {
    // Unreadable or not makeable (a read-only home): only slower.
    return undefined
  }
}

/**
 * A real folder (not a link to one) owned by `uid`, that neither its group
 * nor others may write in. Windows has no uid (`uid` is undefined): there a
 * real folder will do, as Node shows neither owner nor access list, and
 * atoauth's cache folder is under %LOCALAPPDATA%, which only its user may
 * write in (unlike a shared /tmp, Windows gives each user their own temp).
 */
export function isPrivateFolder(stats, uid) {
  if (!stats.isDirectory()) return false
  if (uid === undefined) return true
  return stats.uid === uid && (stats.mode & 0o022) === 0
}

/**
 * os.homedir() (what env-paths asks), without loading node:os where $HOME is
 * set: libuv answers with $HOME then. On Windows it reads USERPROFILE instead.
 */
function homedir() {
  return (process.platform !== 'win32' && process.env.HOME) || builtin('os').homedir()
}

/** A built-in module without its ES-module facade (which loads more than this needs). */
function builtin(name) {
  return process.getBuiltinModule(`node:${name}`)
}
