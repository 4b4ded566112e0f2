// Windows refuses a rename for a moment while another program (an antivirus, the indexer) holds
// the file open: the atomic write tries again for about a second before the error stands.
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  RENAME_RETRY_DELAYS_MS,
  retryingTransientFailures,
  writeFileAtomically,
} from '../../src/store/atomic-write.ts'

const busy = (code: string) =>
  Object.assign(new Error(`${code}: operation not permitted, rename`), { code })

/** A write that fails with `codes`, one per attempt, then succeeds. */
function writer(...codes: string[]) {
  const attempts: number[] = []
  const write = async () => {
    attempts.push(Date.now())
    const code = codes[attempts.length - 1]
    if (code) throw busy(code)
  }
  return { write, attempts }
}

describe('retryingTransientFailures', () => {
  it('on Windows, a rename refused twice (EPERM, then EBUSY) succeeds the third time', async () => {
    const { write, attempts } = writer('EPERM', 'EBUSY')
    await retryingTransientFailures(write, 'win32')
    expect(attempts).toHaveLength(3)
  })

  it('on Windows, a rename refused every time fails after about a second', async () => {
    const { write, attempts } = writer(...Array(20).fill('EACCES'))
    const started = Date.now()
    await expect(retryingTransientFailures(write, 'win32')).rejects.toMatchObject({
      code: 'EACCES',
    })
    expect(attempts).toHaveLength(RENAME_RETRY_DELAYS_MS.length + 1)
    const waited = Date.now() - started
    expect(waited).toBeGreaterThanOrEqual(900)
    expect(waited).toBeLessThan(3000)
  })

  it('any other failure is not retried, on Windows either', async () => {
    const { write, attempts } = writer('ENOSPC')
    await expect(retryingTransientFailures(write, 'win32')).rejects.toMatchObject({
      code: 'ENOSPC',
    })
    expect(attempts).toHaveLength(1)
  })

  it('elsewhere EPERM/EACCES are real permission problems: reported at once', async () => {
    for (const platform of ['linux', 'darwin'] as const) {
      const { write, attempts } = writer('EPERM')
      await expect(retryingTransientFailures(write, platform)).rejects.toMatchObject({
        code: 'EPERM',
      })
      expect(attempts).toHaveLength(1)
    }
  })
})

describe('writeFileAtomically', () => {
  it('writes the whole file, making its folder', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'atoauth-write-')), 'sub', 'accounts.json')
    await writeFileAtomically(path, '{"a":1}\n')
    await writeFileAtomically(path, '{"a":2}\n')
    expect(await readFile(path, 'utf8')).toBe('{"a":2}\n')
  })
})
