import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createFileLock } from '../../src/store/file-lock.ts'

describe('createFileLock', () => {
  it('runs holders of the same name one at a time', async () => {
    const lock = createFileLock(mkdtempSync(join(tmpdir(), 'atoauth-lock-')))
    const events: string[] = []
    const hold = (id: string) =>
      lock('session-did:plc:a', async () => {
        events.push(`${id} in`)
        await new Promise((r) => setTimeout(r, 50))
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
    const lock = createFileLock(mkdtempSync(join(tmpdir(), 'atoauth-lock-')))
    await expect(lock('n', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    await expect(lock('n', async () => 'next')).resolves.toBe('next')
  })

  it('takes over a lock whose holder was killed, within a few seconds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atoauth-lock-'))
    const src = resolve(import.meta.dirname, '../../src/store/file-lock.ts')
    const holder = spawn(process.execPath, [
      '--import',
      resolve(import.meta.dirname, '../support/ts-imports.mjs'),
      '--input-type=module',
      '-e',
      `const { createFileLock } = await import(${JSON.stringify(src)});
       await createFileLock(${JSON.stringify(dir)})('n', () => { setInterval(() => {}, 1000); console.log('held'); return new Promise(() => {}) })`,
    ])
    await new Promise<void>((held, failed) => {
      holder.stdout.once('data', () => held())
      holder.once('exit', (code) => failed(new Error(`the lock holder exited early (${code})`)))
    })
    holder.kill('SIGKILL')
    const started = Date.now()
    await expect(createFileLock(dir)('n', async () => 'mine')).resolves.toBe('mine')
    const waited = Date.now() - started
    // It did wait for the lock to turn stale, and not much longer.
    expect(waited).toBeGreaterThan(1_000)
    expect(waited).toBeLessThan(10_000)
  }, 20_000)
})
