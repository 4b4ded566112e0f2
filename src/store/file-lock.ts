// The cross-process lock: the OAuth client's `requestLock`, and around every account index change.
// A replayed refresh token revokes the whole session, so the lock is never taken from a live holder
// (one stopped with Ctrl-Z after its refresh reached the server must still hold it), however long
// it has held it: its waiters end with lock_timeout, naming it. The lock file appears with its
// owner in it (a temp file hard-linked to its name). On the owner's host, only whether its process
// lives decides: gone (no process with that pid and start time, e.g. after a kill -9) is taken
// over at once, alive never. An owner that cannot be asked (another host sharing the config dir,
// an owner we cannot read) is taken over once it went untouched for STALE_AFTER_MS (a live holder
// touches it every TOUCH_EVERY_MS). A container sharing the host's name (and the config dir) but
// not its process ids cannot be asked either: the owner names its pid namespace, and a waiter in
// another one judges it by age. proper-lockfile judges by mtime alone: it cannot tell stopped from
// dead.
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readFileSync, readlinkSync } from 'node:fs'
import { link, mkdir, readFile, rmdir, stat, unlink, utimes, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { RuntimeLock } from '@atproto/oauth-client-node'
import { AtoauthError } from '../errors.js'
import { type Notice, noticeIfSlow, noticeOnStderr } from './notice.js'
import { parseJson } from './parse-json.js'

/** Only for an owner whose process cannot be asked (another host): untouched this long, it is gone. */
export const STALE_AFTER_MS = 120_000
export const TOUCH_EVERY_MS = 10_000
/** A takeover reads and unlinks one file: a guard older than this is a taker that died. */
const GUARD_STALE_MS = 5_000
/** A refresh takes at most 30 s; a stopped holder on another host is taken over before this. */
export const MAX_WAIT_MS = 150_000

export const WAITING_NOTICE = 'waiting for another atoauth process to release its lock…'

/** `pidns`: where its pid means something (Linux's /proc/self/ns/pid), null where unknown. */
type Owner = { pid: number; start: string | null; host: string; pidns?: string | null; id: string }

/**
 * `notice` is told once when a wait lasts over a second; default: stderr. `maxWaitMs` (default
 * MAX_WAIT_MS) is how long a waiter waits before lock_timeout: tests shorten it.
 */
export function createFileLock(
  configDir: string,
  options: { notice?: Notice; maxWaitMs?: number } = {},
): RuntimeLock {
  const dir = join(configDir, 'locks')
  return async (name, fn) => {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const path = join(dir, createHash('sha256').update(name).digest('hex').slice(0, 32))
    const mine = await acquire(
      path,
      options.notice ?? noticeOnStderr,
      options.maxWaitMs ?? MAX_WAIT_MS,
    )
    const touching = setInterval(() => {
      const now = new Date()
      utimes(path, now, now).catch(() => {})
    }, TOUCH_EVERY_MS).unref()
    try {
      return await fn()
    } finally {
      clearInterval(touching)
      // A holder stopped for minutes may find the lock another's: leave that one be.
      await unlinkIfStill(path, mine)
    }
  }
}

/** Waits for the lock and takes it; returns the owner text it holds it with. */
async function acquire(path: string, notice: Notice, maxWaitMs: number): Promise<string> {
  const id = randomBytes(8).toString('hex')
  const start = processStart(process.pid) ?? null
  const pidns = pidNamespace() ?? null
  const mine = JSON.stringify({
    pid: process.pid,
    start,
    host: hostname(),
    pidns,
    id,
  } satisfies Owner)
  const temp = `${path}.${id}`
  await writeFile(temp, mine, { mode: 0o600 })
  const quiet = noticeIfSlow(notice, WAITING_NOTICE)
  const deadline = Date.now() + maxWaitMs
  try {
    for (;;) {
      const taken = await link(temp, path).then(
        () => true,
        (err) => (err.code === 'EEXIST' ? false : Promise.reject(err)),
      )
      if (taken) return mine
      const holder = await takeOverIfStale(path)
      if (Date.now() > deadline) throw lockTimeout(holder, path, maxWaitMs)
      await new Promise((resolve) => setTimeout(resolve, 25 + Math.random() * 75))
    }
  } finally {
    quiet()
    await unlink(temp).catch(() => {})
  }
}

/** Takes the lock file away from an owner that is gone; returns the owner it found, if any. */
async function takeOverIfStale(path: string): Promise<Owner | undefined> {
  const read = await Promise.all([readFile(path, 'utf8'), stat(path)]).catch(() => undefined)
  if (!read) return undefined // released meanwhile: the next attempt will tell
  const [text, { mtimeMs }] = read
  const owner = ownerIn(text)
  const liveness = owner ? ownerLiveness(owner) : 'unknown'
  const untouched = Date.now() - mtimeMs > STALE_AFTER_MS
  if (liveness === 'alive' || (liveness === 'unknown' && !untouched)) return owner
  // One taker at a time: two waiters that both read the dead owner must not both unlink (the
  // second would remove the first one's new lock). Under the guard the file is read again.
  const guard = `${path}.takeover`
  if (
    !(await mkdir(guard).then(
      () => true,
      () => false,
    ))
  ) {
    const age = await stat(guard).then(
      (g) => Date.now() - g.mtimeMs,
      () => 0,
    )
    if (age > GUARD_STALE_MS) await rmdir(guard).catch(() => {}) // its taker died
    return owner
  }
  try {
    await unlinkIfStill(path, text)
  } finally {
    await rmdir(guard).catch(() => {})
  }
  return owner
}

async function unlinkIfStill(path: string, owner: string): Promise<void> {
  if ((await readFile(path, 'utf8').catch(() => '')) === owner) await unlink(path).catch(() => {})
}

/** The owner a lock file names, if it names one we can read. */
function ownerIn(text: string): Owner | undefined {
  const owner = parseJson(text) as Partial<Owner> | undefined
  if (typeof owner !== 'object' || owner === null) return undefined
  const { pid, host } = owner
  // pid 0 or below would ask process.kill about a process group, not a process.
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0 || typeof host !== 'string')
    return undefined
  return owner as Owner
}

/** Whether the owner's process lives: 'unknown' where it cannot be asked (another host). */
function ownerLiveness(owner: Owner): 'alive' | 'gone' | 'unknown' {
  if (owner.host !== hostname()) return 'unknown'
  // Its pid is another namespace's (a container with the host's name): this one cannot ask it.
  if (typeof owner.pidns === 'string' && owner.pidns !== pidNamespace()) return 'unknown'
  const start = processStart(owner.pid)
  if (start === null) return 'gone'
  if (start !== undefined && typeof owner.start === 'string') {
    return start === owner.start ? 'alive' : 'gone'
  }
  // No /proc (macOS, Windows): whether any process has that pid. A pid reused by another process
  // after the holder died reads as alive: its waiters end with lock_timeout, whose hint says how
  // to free the lock. Chosen over an age bound, which would take the lock from a stopped holder
  // and so revoke its session: a stuck command is recoverable, a replayed refresh token is not.
  try {
    process.kill(owner.pid, 0)
    return 'alive'
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'alive' : 'gone'
  }
}

/** The wait's end, naming the holder and how to free the lock. */
function lockTimeout(holder: Owner | undefined, path: string, waitedMs: number): AtoauthError {
  const over = `has held the lock for over ${waitedMs / 1000} s.`
  if (!holder) {
    const hint = `Let it finish, then try again. If no atoauth is running, delete ${path}.`
    return new AtoauthError('lock_timeout', `Another process ${over}`, { hint })
  }
  const { pid } = holder
  if (holder.host !== hostname()) {
    // A name from a file: shown only when it looks like a host name.
    const host = /^[\w.-]{1,253}$/.test(holder.host) ? holder.host : 'another host'
    const message = `An atoauth process on ${host} (pid ${pid}) ${over}`
    const hint = `It is still running there: let it finish or end it (kill ${pid} on ${host}), then try again.`
    return new AtoauthError('lock_timeout', message, { hint, details: { pid, host } })
  }
  const end =
    process.platform === 'win32'
      ? `Let it finish or end it with \`taskkill /PID ${pid}\`, then try again.`
      : `It may be stopped (Ctrl-Z): resume it with \`fg\` or end it with \`kill ${pid}\`, then try again.`
  // Without /proc a live pid may be another process's now (see ownerLiveness).
  const reused =
    processStart(pid) === undefined
      ? ` If process ${pid} is not atoauth (its pid was reused), delete ${path}.`
      : ''
  const message = `Another atoauth process (pid ${pid}) ${over}`
  return new AtoauthError('lock_timeout', message, { hint: end + reused, details: { pid } })
}

/** This process's pid namespace ("pid:[4026531836]"); undefined without /proc (macOS, Windows). */
function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid')
  } catch {
    return undefined
  }
}

// A process's start time (/proc/<pid>/stat field 22): null if it is not running (a zombie has
// ended), undefined where there is no /proc to ask.
function processStart(pid: number): string | null | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: count after its last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[0] === 'Z' ? null : (fields[19] ?? null)
  } catch {
    return existsSync('/proc/self/stat') ? null : undefined
  }
}
