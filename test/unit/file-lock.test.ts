import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  createFileLock,
  MAX_WAIT_MS,
  STALE_AFTER_MS,
  TOUCH_EVERY_MS,
  WAITING_NOTICE,
} from '../../src/store/file-lock.ts'

const tempConfigDir = () => mkdtempSync(join(tmpdir(), 'atoauth-lock-'))
const holders: ChildProcess[] = []
afterEach(() => {
  for (const holder of holders.splice(0)) holder.kill('SIGKILL')
})

/** Another process that takes the lock `name` in `dir` and holds it until killed. */
async function holdInAnotherProcess(dir: string, name: string): Promise<ChildProcess> {
  // URLs, not paths: a Windows path (C:\…) is no module specifier.
  const src = pathToFileURL(resolve(import.meta.dirname, '../../src/store/file-lock.ts')).href
  const holder = spawn(process.execPath, [
    '--import',
    pathToFileURL(resolve(import.meta.dirname, '../support/ts-imports.mjs')).href,
    '--input-type=module',
    '-e',
    `const { createFileLock } = await import(${JSON.stringify(src)});
     await createFileLock(${JSON.stringify(dir)})(${JSON.stringify(name)}, () => { setInterval(() => {}, 1000); console.log('held'); return new Promise(() => {}) })`,
  ])
  holders.push(holder)
  await new Promise<void>((held, failed) => {
    holder.stdout.once('data', () => held())
    holder.once('exit', (code) => failed(new Error(`the lock holder exited early (${code})`)))
  })
  return holder
}

/** Takes the lock; resolves with the ms it waited. */
async function timedLock(
  dir: string,
  name: string,
  notice = (_: string) => {},
  maxWaitMs?: number,
): Promise<number> {
  const started = Date.now()
  return createFileLock(dir, { notice, maxWaitMs })(name, async () => Date.now() - started)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The lock file of the one lock held in `dir` (waiters' temp files have a dot in their name). */
const lockFileIn = (dir: string) =>
  join(dir, 'locks', readdirSync(join(dir, 'locks')).find((name) => !name.includes('.'))!)

/** Makes a lock file look untouched for longer than STALE_AFTER_MS. */
function makeUntouchedForOver2Min(lockFile: string): void {
  const untouchedSince = new Date(Date.now() - STALE_AFTER_MS - 1_000)
  utimesSync(lockFile, untouchedSince, untouchedSince)
}

/** The lock file name `name` gets in `dir`, with no holder. */
async function freeLockFile(dir: string, name: string): Promise<string> {
  return createFileLock(dir)(name, async () => lockFileIn(dir))
}

/** Waits for the lock for at most `maxWaitMs`; resolves with the ms it waited, or the error. */
function shortWait(dir: string, name: string, maxWaitMs: number): Promise<number | unknown> {
  return timedLock(dir, name, () => {}, maxWaitMs).catch((error: unknown) => error)
}

// SIGSTOP / SIGKILL semantics and /proc exist only on POSIX systems (/proc: Linux).
const windows = process.platform === 'win32'
const hasProc = existsSync('/proc/self/stat')

describe('createFileLock', () => {
  it('runs holders of the same name one at a time', async () => {
    const lock = createFileLock(tempConfigDir())
    const events: string[] = []
    const hold = (id: string) =>
      lock('session-did:plc:a', async () => {
        events.push(`${id} in`)
        await sleep(50)
        events.push(`${id} out`)
        return id
      })
    const results = await Promise.all([hold('a'), hold('b'), hold('c')])
    expect(results).toEqual(['a', 'b', 'c'])
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i]?.split(' ')[0]).toBe(events[i + 1]?.split(' ')[0])
    }
  })

  it('releases the lock when the holder throws', async () => {
    const lock = createFileLock(tempConfigDir())
    await expect(lock('n', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    await expect(lock('n', async () => 'next')).resolves.toBe('next')
  })

  it('bounds: a holder on another host loses the lock after 2 min untouched, and a waiter waits longer', () => {
    expect(STALE_AFTER_MS).toBe(120_000)
    expect(MAX_WAIT_MS).toBe(150_000)
    expect(MAX_WAIT_MS).toBeGreaterThan(STALE_AFTER_MS + TOUCH_EVERY_MS)
  })

  // Windows has no SIGSTOP: a process there cannot be stopped and resumed.
  it.skipIf(windows)(
    'never takes the lock from a live holder stopped (SIGSTOP) for over 6 s',
    async () => {
      const dir = tempConfigDir()
      const holder = await holdInAnotherProcess(dir, 'n')
      holder.kill('SIGSTOP')
      const notices: string[] = []
      let got = false
      const waiter = timedLock(dir, 'n', (m) => notices.push(m)).then((ms) => {
        got = true
        return ms
      })
      await sleep(6_500)
      expect(got).toBe(false)
      // The waiter said, once, what it is waiting for.
      expect(notices).toEqual([WAITING_NOTICE])
      holder.kill('SIGKILL')
      expect(await waiter).toBeGreaterThan(6_500)
    },
    20_000,
  )

  it('takes over within 5 s from a holder killed with SIGKILL', async () => {
    const dir = tempConfigDir()
    const holder = await holdInAnotherProcess(dir, 'n')
    const killed = new Promise((r) => holder.once('exit', r))
    holder.kill('SIGKILL')
    await killed
    expect(await timedLock(dir, 'n')).toBeLessThan(5_000)
  }, 20_000)

  // Windows has no SIGSTOP: a process there cannot be stopped and resumed.
  it.skipIf(windows)(
    'never takes the lock from a stopped holder whose lock went untouched for over 2 min: the wait ends naming its pid and what to do',
    async () => {
      const dir = tempConfigDir()
      const holder = await holdInAnotherProcess(dir, 'n')
      holder.kill('SIGSTOP')
      makeUntouchedForOver2Min(lockFileIn(dir))
      const error = await shortWait(dir, 'n', 1_500)
      expect(error).toMatchObject({
        code: 'lock_timeout',
        message: `Another atoauth process (pid ${holder.pid}) has held the lock for over 1.5 s.`,
        details: { pid: holder.pid },
      })
      expect((error as Error & { hint: string }).hint).toContain(
        `It may be stopped (Ctrl-Z): resume it with \`fg\` or end it with \`kill ${holder.pid}\`, then try again.`,
      )
    },
    20_000,
  )

  it('never takes the lock from a live holder in this very process, however old its lock file', async () => {
    const dir = tempConfigDir()
    let release = () => {}
    const holding = new Promise<void>((held) => {
      void createFileLock(dir)('n', async () => {
        held()
        await new Promise<void>((r) => {
          release = r
        })
      })
    })
    await holding
    makeUntouchedForOver2Min(lockFileIn(dir))
    expect(await shortWait(dir, 'n', 1_000)).toMatchObject({
      code: 'lock_timeout',
      details: { pid: process.pid },
    })
    release()
    expect(await timedLock(dir, 'n')).toBeLessThan(1_000)
  }, 20_000)

  it('takes the lock of a holder on another host (a shared config dir) only once untouched for 2 min', async () => {
    const dir = tempConfigDir()
    const lockFile = await freeLockFile(dir, 'n')
    const elsewhere = { pid: 4242, start: '1', host: 'ci-runner-7.example.org', id: 'x' }
    writeFileSync(lockFile, JSON.stringify(elsewhere))
    // Its process cannot be asked: a lock it touches is waited for, and the wait ends naming it.
    expect(await shortWait(dir, 'n', 500)).toMatchObject({
      code: 'lock_timeout',
      message:
        'An atoauth process on ci-runner-7.example.org (pid 4242) has held the lock for over 0.5 s.',
      details: { pid: 4242, host: 'ci-runner-7.example.org' },
    })
    makeUntouchedForOver2Min(lockFile)
    expect(await timedLock(dir, 'n')).toBeLessThan(1_000)
  }, 20_000)

  it.runIf(hasProc)(
    "takes the lock of a holder in another pid namespace (a container with the host's name) only once untouched for 2 min",
    async () => {
      const dir = tempConfigDir()
      const lockFile = await freeLockFile(dir, 'n')
      // No process here has this pid and start time: in this namespace it would read as gone.
      const inContainer = { pid: 999_999, start: '1', host: hostname(), pidns: 'pid:[1]', id: 'x' }
      writeFileSync(lockFile, JSON.stringify(inContainer))
      expect(await shortWait(dir, 'n', 500)).toMatchObject({ code: 'lock_timeout' })
      makeUntouchedForOver2Min(lockFile)
      expect(await timedLock(dir, 'n')).toBeLessThan(1_000)
    },
    20_000,
  )

  it('takes a lock whose owner cannot be read only once untouched for 2 min', async () => {
    const dir = tempConfigDir()
    const lockFile = await freeLockFile(dir, 'n')
    writeFileSync(lockFile, 'not an owner')
    expect(await shortWait(dir, 'n', 500)).toMatchObject({ code: 'lock_timeout' })
    makeUntouchedForOver2Min(lockFile)
    expect(await timedLock(dir, 'n')).toBeLessThan(1_000)
  }, 20_000)

  // Only /proc (Linux) gives a process's start time; elsewhere a live pid is taken as the holder.
  it.runIf(hasProc)(
    'takes over from a pid that now belongs to another process (its start time differs)',
    async () => {
      const dir = tempConfigDir()
      const lockFile = await createFileLock(dir)(
        'n',
        async () => readdirSync(join(dir, 'locks'))[0]!,
      )
      // The lock as a holder long gone left it, its pid now ours (alive).
      const reused = { pid: process.pid, start: 'another start', host: hostname(), id: 'x' }
      writeFileSync(join(dir, 'locks', lockFile), JSON.stringify(reused))
      expect(await timedLock(dir, 'n')).toBeLessThan(1_000)
    },
  )

  it('each lock name is a lock of its own: holding one does not delay another', async () => {
    const dir = tempConfigDir()
    await holdInAnotherProcess(dir, 'session-did:plc:alice')
    expect(await timedLock(dir, 'session-did:plc:bob')).toBeLessThan(500)
    let got = false
    void timedLock(dir, 'session-did:plc:alice').then(() => {
      got = true
    })
    await sleep(1_500)
    expect(got).toBe(false)
  }, 20_000)

  it('by default, says on stderr once that it is waiting for another atoauth process', async () => {
    const dir = tempConfigDir()
    const holder = await holdInAnotherProcess(dir, 'n')
    const written = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const waiter = createFileLock(dir)('n', async () => {})
      await sleep(1_500)
      holder.kill('SIGKILL')
      await waiter
      const said = written.mock.calls.map(([text]) => String(text))
      expect(said.filter((t) => t.includes('another atoauth process'))).toEqual([
        `atoauth: ${WAITING_NOTICE}\n`,
      ])
    } finally {
      written.mockRestore()
    }
  }, 20_000)
})
