// Refresh tokens are single-use, and a replayed one revokes the whole
// session. Many atoauth processes started at once with a stale access token
// must refresh it exactly once between them (a cross-process lock, with the
// stored session re-read inside it), and a lock holder that crashed must not
// block later commands for long.
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  keychainEntry,
  ROOT,
  refreshesSince,
  setKeychainEntry,
  useE2E,
  withStaleAccessToken,
} from './harness.ts'

const e2e = useE2E({ loginAs: 'alice' })

const alice = () => e2e.sandbox.accounts.alice!

/** Rewrites the keychain entry so that the next command must refresh. */
async function makeAccessTokenStale(): Promise<string> {
  const session = await e2e.storedSession(alice().did)
  await setKeychainEntry(alice().did, JSON.stringify(withStaleAccessToken(session!)))
  return session!.tokenSet.refresh_token!
}

describe('parallel refresh', () => {
  it('20 concurrent whoami with a stale token: all succeed, one refresh at the server', async () => {
    const oldRefreshToken = await makeAccessTokenStale()
    const from = e2e.sandbox.requests.length

    const results = await Promise.all(
      Array.from({ length: 20 }, () => e2e.run(['whoami', '--json'])),
    )

    for (const { code, stdout, stderr } of results) {
      expect(code, stderr).toBe(0)
      expect(JSON.parse(stdout).did).toBe(alice().did)
    }
    expect(refreshesSince(e2e.sandbox, from)).toBe(1)
    const stored = await e2e.storedSession(alice().did)
    expect(stored!.tokenSet.refresh_token).not.toBe(oldRefreshToken)

    // The rotated session keeps working, with no further refresh.
    const after = e2e.sandbox.requests.length
    const again = await e2e.run(['whoami', '--json'])
    expect(again.code, again.stderr).toBe(0)
    expect(refreshesSince(e2e.sandbox, after)).toBe(0)
  })

  it('a lock holder killed with SIGKILL does not block the next command for long', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atoauth-lock-'))
    const holderScript = join(dir, 'hold-lock.mjs')
    // Takes the very lock the OAuth client takes around a refresh, then hangs.
    await writeFile(
      holderScript,
      `import { createFileLock } from ${JSON.stringify(join(ROOT, 'src/store/file-lock.ts'))}
await createFileLock(process.argv[2])('@atproto-oauth-client-' + process.argv[3], async () => {
  process.stdout.write('locked\\n')
  // Hold it until killed (a pending promise alone would let the process exit).
  await new Promise(() => setInterval(() => {}, 1_000))
})
`,
    )
    const holder = spawn(
      process.execPath,
      [
        '--import',
        join(ROOT, 'test/support/ts-imports.mjs'),
        holderScript,
        e2e.configDir,
        alice().did,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('locked')) resolve()
      })
      holder.on('exit', () => reject(new Error('the lock holder exited early')))
    })

    await makeAccessTokenStale()
    const killed = new Promise((resolve) => holder.once('exit', resolve))
    holder.kill('SIGKILL')
    expect(await killed).toBeNull() // exit code: none, it was killed
    // The dead holder's lock is still there: the command must meet it.
    expect(readdirSync(join(e2e.configDir, 'locks'))).toHaveLength(1)
    const from = e2e.sandbox.requests.length
    const started = Date.now()
    const { code, stderr } = await e2e.run(['whoami', '--json'])
    const waited = Date.now() - started

    expect(code, stderr).toBe(0)
    expect(refreshesSince(e2e.sandbox, from)).toBe(1)
    // A holder whose process is gone is taken over at once (file-lock.ts);
    // without take-over the command would wait 150 s and fail.
    expect(waited).toBeLessThan(5_000)
    expect(await keychainEntry(alice().did)).toBeDefined()
  })
})
