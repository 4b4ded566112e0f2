import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { DiskCache } from '../../src/store/disk-cache.ts'

async function dir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'atoauth-cache-'))
}

/** Sets the clock the cache reads (Date.now) to `ms`. */
const clockAt = (ms: number) => vi.useFakeTimers({ toFake: ['Date'], now: ms })
afterEach(() => {
  vi.useRealTimers()
})

describe('DiskCache', () => {
  it('keeps entries across instances (processes) until they expire', async () => {
    const where = await dir()
    clockAt(1_000)
    await new DiskCache<string>(where, 'nonces', 100).set('https://pds', 'n1')
    expect(await new DiskCache<string>(where, 'nonces', 100).get('https://pds')).toBe('n1')
    clockAt(1_100)
    expect(await new DiskCache<string>(where, 'nonces', 100).get('https://pds')).toBeUndefined()
    // Private to the user; Windows has no such permission bits and reports a writable file as 0666.
    const mode = (await stat(join(where, 'nonces.json'))).mode & 0o777
    expect(mode).toBe(process.platform === 'win32' ? 0o666 : 0o600)
  })

  it('drops expired entries when it writes, and deletes on request', async () => {
    const where = await dir()
    clockAt(0)
    const cache = new DiskCache<string>(where, 'c', 10)
    await cache.set('old', 'x')
    clockAt(20)
    await cache.set('new', 'y')
    await cache.del('gone')
    const file = JSON.parse(await readFile(join(where, 'c.json'), 'utf8'))
    expect(Object.keys(file.entries)).toEqual(['new'])
    await cache.del('new')
    expect(await new DiskCache<string>(where, 'c', 10).get('new')).toBeUndefined()
  })

  it('reads a corrupt or foreign file as empty, and replaces it on the next write', async () => {
    const where = await dir()
    await writeFile(join(where, 'c.json'), '{"version": 7}')
    const cache = new DiskCache<string>(where, 'c', 1000)
    expect(await cache.get('k')).toBeUndefined()
    await cache.set('k', 'v')
    expect(await new DiskCache<string>(where, 'c', 1000).get('k')).toBe('v')
    await writeFile(join(where, 'd.json'), 'not json')
    expect(await new DiskCache<string>(where, 'd', 1000).get('k')).toBeUndefined()
  })

  it('a cache it cannot write is only a miss, never an error', async () => {
    const where = await dir()
    await writeFile(join(where, 'file'), '')
    const cache = new DiskCache<string>(join(where, 'file', 'below'), 'c', 1000)
    await expect(cache.set('k', 'v')).resolves.toBeUndefined()
    expect(await cache.get('k')).toBe('v')
  })
})
