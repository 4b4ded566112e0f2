// The cross-process lock: the OAuth client's `requestLock`, and around every account index change.
// A replayed refresh token revokes the whole session, so the lock is never taken from a live holder
// (one stopped with Ctrl-Z after its refresh reached the server must still hold it). The lock file
// appears with its owner in it (a temp file hard-linked to its name). A waiter takes it over only
// when the owner's process is gone (same host, no process with that pid and start time: at once
// after a kill -9), or when it went untouched for STALE_AFTER_MS (a live holder touches it every
// TOUCH_EVERY_MS). proper-lockfile judges by mtime alone: it cannot tell stopped from dead.
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { link, mkdir, readFile, rmdir, stat, unlink, utimes, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { RuntimeLock } from '@atproto/oauth-client-node'
import { AtoauthError } from '../errors.js'
import { type Notice, noticeIfSlow, noticeOnStderr } from './notice.js'
import { parseJson } from './parse-json.js'

export const STALE_AFTER_MS = 120_000
export const TOUCH_EVERY_MS = 10_000
/** A takeover reads and unlinks one file: a guard older than this is a taker that died. */
const GUARD_STALE_MS = 5_000
/** A waiter sees a stopped holder's lock go stale; a refresh takes at most 30 s. */
export const MAX_WAIT_MS = 150_000

export const WAITING_NOTICE = 'waiting for another atoauth process to release its lock…'

type Owner = { pid: number; start: string | null; host: string; id: string }

/** `notice` is told once when a wait lasts over a second; default: stderr. */
export function createFileLock(configDir: string, options: { notice?: Notice } = {}): RuntimeLock {
  const dir = join(configDir, 'locks')
  return async (name, fn) => {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const path = join(dir, createHash('sha256').update(name).digest('hex').slice(0, 32))
    const mine = await acquire(path, options.notice ?? noticeOnStderr)
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
async function acquire(path: string, notice: Notice): Promise<string> {
  const id = randomBytes(8).toString('hex')
  const start = processStart(process.pid) ?? null
  const mine = JSON.stringify({ pid: process.pid, start, host: hostname(), id } satisfies Owner)
  const temp = `${path}.${id}`
  await writeFile(temp, mine, { mode: 0o600 })
  const quiet = noticeIfSlow(notice, WAITING_NOTICE)
  const deadline = Date.now() + MAX_WAIT_MS
  try {
    for (;;) {
      const taken = await link(temp, path).then(
        () => true,
        (err) => (err.code === 'EEXIST' ? false : Promise.reject(err)),
      )
      if (taken) return mine
      await takeOverIfStale(path)
      if (Date.now() > deadline) {
        const message = `Another atoauth process has held the session lock for over ${MAX_WAIT_MS / 1000} s.`
        const hint = 'Wait for it to finish (or end it), then try again.'
        throw new AtoauthError('lock_timeout', message, { hint })
      }
      await new Promise((resolve) => setTimeout(resolve, 25 + Math.random() * 75))
    }
  } finally {
    quiet()
    await unlink(temp).catch(() => {})
  }
}

async function takeOverIfStale(path: string): Promise<void> {
  const read = await Promise.all([readFile(path, 'utf8'), stat(path)]).catch(() => undefined)
  if (!read) return // released meanwhile: the next attempt will tell
  const [text, { mtimeMs }] = read
  if (Date.now() - mtimeMs <= STALE_AFTER_MS && !ownerIsGone(text)) return
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
    return
  }
  try {
    await unlinkIfStill(path, text)
  } finally {
    await rmdir(guard).catch(() => {})
  }
}

async function unlinkIfStill(path: string, owner: string): Promise<void> {
  if ((await readFile(path, 'utf8').catch(() => '')) === owner) await unlink(path).catch(() => {})
}

/** Whether the owner's process has surely ended; an owner we cannot judge is not. */
function ownerIsGone(text: string): boolean {
  const owner = parseJson(text) as Owner | undefined
  if (owner?.host !== hostname() || !Number.isInteger(owner.pid)) return false
  const start = processStart(owner.pid)
  if (start !== undefined) return start !== owner.start
  // No /proc (macOS, Windows): whether any process has that pid.
  try {
    process.kill(owner.pid, 0)
    return false
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'EPERM'
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
