import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
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
  const src = resolve(import.meta.dirname, '../../src/store/file-lock.ts')
  const holder = spawn(process.execPath, [
    '--import',
    resolve(import.meta.dirname, '../support/ts-imports.mjs'),
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
async function timedLock(dir: string, name: string, notice = (_: string) => {}): Promise<number> {
  const started = Date.now()
  return createFileLock(dir, { notice })(name, async () => Date.now() - started)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

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

  it('bounds: a stopped holder loses the lock only after 2 min, and a waiter waits longer', () => {
    expect(STALE_AFTER_MS).toBe(120_000)
    expect(MAX_WAIT_MS).toBe(150_000)
    expect(MAX_WAIT_MS).toBeGreaterThan(STALE_AFTER_MS + TOUCH_EVERY_MS)
  })

  it('never takes the lock from a live holder stopped (SIGSTOP) for over 6 s', async () => {
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
  }, 20_000)

  it('takes over within 5 s from a holder killed with SIGKILL', async () => {
    const dir = tempConfigDir()
    const holder = await holdInAnotherProcess(dir, 'n')
    const killed = new Promise((r) => holder.once('exit', r))
    holder.kill('SIGKILL')
    await killed
    expect(await timedLock(dir, 'n')).toBeLessThan(5_000)
  }, 20_000)

  it('takes over a lock untouched for over 2 min, though its holder lives (stopped)', async () => {
    const dir = tempConfigDir()
    const holder = await holdInAnotherProcess(dir, 'n')
    holder.kill('SIGSTOP')
    const [lockFile] = readdirSync(join(dir, 'locks'))
    const untouchedSince = new Date(Date.now() - STALE_AFTER_MS - 1_000)
    utimesSync(join(dir, 'locks', lockFile!), untouchedSince, untouchedSince)
    expect(await timedLock(dir, 'n')).toBeLessThan(1_000)
  }, 20_000)

  it('takes over from a pid that now belongs to another process (its start time differs)', async () => {
    const dir = tempConfigDir()
    const lockFile = await createFileLock(dir)('n', async () => readdirSync(join(dir, 'locks'))[0]!)
    // The lock as a holder long gone left it, its pid now ours (alive).
    const reused = { pid: process.pid, start: 'another start', host: hostname(), id: 'x' }
    writeFileSync(join(dir, 'locks', lockFile), JSON.stringify(reused))
    expect(await timedLock(dir, 'n')).toBeLessThan(1_000)
  })

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
