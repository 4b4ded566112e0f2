// The server spends a refresh token (or an authorization code) the moment it answers, with no
// grace period: a process that leaves between the request and the storing of the answer loses
// the session, and the next use of the old token is a replay that revokes it. These tests hold
// the server's token answer back, signal atoauth while it waits, then let the answer go, and
// check at the server that the session survived.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type LiveRun,
  refreshesSince,
  type StoredSession,
  setKeychainEntry,
  useE2E,
  withStaleAccessToken,
} from './harness.ts'

const e2e = useE2E({ loginAs: 'alice' })

const alice = () => e2e.sandbox.accounts.alice!

const FINISHING = /finishing the token refresh so the session is not lost/

/** Ages the stored access token, so the next command must refresh. */
async function makeAccessTokenStale(): Promise<void> {
  const session = await e2e.storedSession(alice().did)
  await setKeychainEntry(alice().did, JSON.stringify(withStaleAccessToken(session!)))
}

/** Answers still held back: a test that failed half-way must not leave the PDS waiting. */
const heldAnswers: Array<() => void> = []
afterEach(() => {
  for (const release of heldAnswers.splice(0)) release()
})

/** Starts `run` with the server's next token answer held back; resolves once it is issued. */
async function startHeld(run: () => LiveRun) {
  const held = e2e.sandbox.holdNextTokenAnswer()
  heldAnswers.push(held.release)
  const live = run()
  const late = new Promise<never>((_, reject) => {
    const timer = setTimeout(() => reject(new Error(`no token request:\n${live.output}`)), 20_000)
    held.issued.then(() => clearTimeout(timer))
  })
  await Promise.race([held.issued, late])
  return { live, release: held.release }
}

/** The next command uses what was stored, without a replay: the server still holds the session. */
async function expectSessionAlive(stored: StoredSession, env = e2e.env()) {
  expect(await e2e.sandbox.sessionAtServer(stored.tokenSet.refresh_token!)).toBe(true)
  const next = await e2e.run(['whoami', '--json'], env)
  expect(next.code, next.stderr).toBe(0)
  expect(JSON.parse(next.stdout).did).toBe(alice().did)
}

describe('a signal while the refresh answer is on its way', () => {
  it('Ctrl-C (SIGINT) waits for the answer, stores it, then exits 130', async () => {
    await makeAccessTokenStale()
    const before = (await e2e.storedSession(alice().did))!.tokenSet.refresh_token
    const { live, release } = await startHeld(() => e2e.start(['whoami', '--json']))

    live.kill('SIGINT')
    await live.waitFor(FINISHING)
    release()
    const { code, stdout } = await live.done

    expect(code).toBe(130)
    // --json: the one document says the command was cancelled, after the session was kept.
    expect(JSON.parse(stdout).error).toMatchObject({
      code: 'cancelled',
      message: 'Cancelled, once the refreshed session was stored.',
    })
    const stored = (await e2e.storedSession(alice().did))!
    expect(stored.tokenSet.refresh_token).not.toBe(before)
    const from = e2e.sandbox.requests.length
    await expectSessionAlive(stored)
    expect(refreshesSince(e2e.sandbox, from)).toBe(0)
  })

  it('SIGTERM and SIGHUP are held back the same way, and leave with 143 and 129', async () => {
    for (const [signal, exitCode] of [
      ['SIGTERM', 143],
      ['SIGHUP', 129],
    ] as const) {
      await makeAccessTokenStale()
      const { live, release } = await startHeld(() => e2e.start(['whoami']))
      live.kill(signal)
      await live.waitFor(FINISHING)
      release()
      expect((await live.done).code, signal).toBe(exitCode)
      await expectSessionAlive((await e2e.storedSession(alice().did))!)
    }
  })

  it('a cancelled CI job (SIGINT, then SIGTERM) keeps the rotated session in its session file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atoauth-interrupt-'))
    const file = join(dir, 'session.json')
    const stored = (await e2e.storedSession(alice().did))!
    await writeFile(file, e2e.blobFor('alice', withStaleAccessToken(stored)), { mode: 0o600 })
    const env = e2e.env({
      ATOAUTH_SESSION_FILE: file,
      ATOAUTH_CONFIG_DIR: dir,
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/atoauth-no-bus',
    })
    const { live, release } = await startHeld(() => e2e.start(['whoami', '--json'], env))

    live.kill('SIGINT')
    await live.waitFor(FINISHING)
    live.kill('SIGTERM')
    // Not a terminal: a second signal is held back too, and says nothing more.
    await new Promise((r) => setTimeout(r, 300))
    release()
    const { code, stderr } = await live.done

    expect(code).toBe(130)
    expect(stderr.match(FINISHING)).toHaveLength(1)
    const blob = JSON.parse(await readFile(file, 'utf8')) as { session: StoredSession }
    e2e.rememberSecrets(blob.session)
    expect(blob.session.tokenSet.refresh_token).not.toBe(stored.tokenSet.refresh_token)
    await expectSessionAlive(blob.session, env)
    // The keychain held a copy of the same session, whose refresh token is now spent: it takes the
    // file's, for the tests after this one.
    const rotated = JSON.parse(await readFile(file, 'utf8')) as { session: StoredSession }
    await setKeychainEntry(alice().did, JSON.stringify(rotated.session))
  })

  it('a terminal that hangs up (its window closed, SSH dropped) still gets the answer stored', async () => {
    await makeAccessTokenStale()
    const before = (await e2e.storedSession(alice().did))!.tokenSet.refresh_token
    const { live, release } = await startHeld(() =>
      e2e.start(['whoami'], e2e.env(), { terminal: true }),
    )
    // The terminal goes away: atoauth gets SIGHUP, and its writes to the terminal fail (EIO).
    live.kill('SIGKILL')
    await live.done
    await new Promise((r) => setTimeout(r, 300))
    release()

    // Nobody is left to ask atoauth how it ended: the session at the server tells.
    const deadline = Date.now() + 10_000
    let stored = (await e2e.storedSession(alice().did))!
    while (stored.tokenSet.refresh_token === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100))
      stored = (await e2e.storedSession(alice().did))!
    }
    expect(stored.tokenSet.refresh_token).not.toBe(before)
    await expectSessionAlive(stored)
  })

  it('at a terminal, a second Ctrl-C leaves at once and says what that may cost', async () => {
    await makeAccessTokenStale()
    const { live, release } = await startHeld(() =>
      e2e.start(['whoami'], e2e.env(), { terminal: true }),
    )
    // Ctrl-C typed at the terminal: the terminal sends SIGINT to the foreground process.
    live.write('\u0003')
    await live.waitFor(FINISHING)
    live.write('\u0003')
    const { code, stdout } = await live.done
    release()

    expect(code).toBe(130)
    expect(stdout).toMatch(/may be lost/)
    // What leaving cost: the answer was never stored, so the next refresh replays the spent token
    // and the server ends the session. Log in again for the tests after this one.
    const next = await e2e.run(['whoami'])
    expect(next.code).toBe(3)
    const { cli } = await e2e.login('alice')
    expect(cli.code, cli.stderr).toBe(0)
  })
})

describe('a signal while the sign-in answer is on its way', () => {
  it('the code exchange finishes and the new session is kept, then login exits 130', async () => {
    const consent = join(await mkdtemp(join(tmpdir(), 'atoauth-consent-')), 'log.json')
    const env = e2e.env({
      CONSENT_PASSWORD: alice().password,
      CONSENT_IDENTIFIER: alice().handle,
      CONSENT_ACTION: 'allow',
      CONSENT_LOG: consent,
    })
    const { live, release } = await startHeld(() =>
      e2e.start(['login', 'alice.test', '--timeout', '60'], env),
    )
    live.kill('SIGINT')
    await live.waitFor(/finishing the sign-in so the new session is not lost/)
    release()
    expect((await live.done).code).toBe(130)

    const stored = (await e2e.storedSession(alice().did))!
    await expectSessionAlive(stored)
  })
})
