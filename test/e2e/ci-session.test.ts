// Sessions for CI: `session export` copies this machine's session into a
// blob, `session create` signs in again for a separate one, and
// ATOAUTH_SESSION_FILE / ATOAUTH_SESSION make every command use the blob on a
// machine with no keychain at all. A refresh rewrites the file atomically;
// from the variable it warns that the value is now stale.
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { refreshesSince, type StoredSession, useE2E, withStaleAccessToken } from './harness.ts'

let work: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'atoauth-ci-'))
})

const e2e = useE2E({ loginAs: 'alice' })

const alice = () => e2e.sandbox.accounts.alice!

type Blob = {
  atoauthSession: number
  did: string
  handle: string
  pds: string
  clientId: string
  session: StoredSession
}

async function readBlob(path: string): Promise<Blob> {
  const blob = JSON.parse(await readFile(path, 'utf8')) as Blob
  e2e.rememberSecrets(blob.session)
  return blob
}

/**
 * A CI machine: a config dir of its own, and a D-Bus address that leads
 * nowhere, so that any use of the keychain would fail the command.
 */
async function ciEnv(extra: Record<string, string>): Promise<NodeJS.ProcessEnv> {
  return e2e.env({
    ATOAUTH_CONFIG_DIR: await mkdtemp(join(tmpdir(), 'atoauth-ci-config-')),
    DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/atoauth-no-bus',
    ...extra,
  })
}

describe('session export', () => {
  it('writes a versioned blob to a 0600 file and warns that it is a shared secret', async () => {
    const out = join(work, 'copy.json')
    const { code, stdout, stderr } = await e2e.run(['session', 'export', '--out', out, '--json'])
    expect(code, stderr).toBe(0)
    expect(JSON.parse(stdout)).toEqual({ did: alice().did, handle: 'alice.test', out })
    expect(stderr).toContain('holds a secret')
    expect(stderr).toContain('share one refresh token')
    expect(stderr).toContain('atoauth session create alice.test')

    expect((await stat(out)).mode & 0o777).toBe(0o600)
    const blob = await readBlob(out)
    expect(blob).toMatchObject({
      atoauthSession: 1,
      did: alice().did,
      handle: 'alice.test',
      pds: `${e2e.sandbox.pdsUrl}/`,
      clientId: 'https://atoauth.github.io/oauth-client-metadata.json',
    })
    // A copy: the very session this machine holds, DPoP private key included.
    expect(blob.session).toEqual(await e2e.storedSession(alice().did))
    expect(blob.session.dpopJwk.d).toBeTruthy()

    // Usable as is on a machine without a keychain (no refresh due: nothing is spent).
    const env = await ciEnv({ ATOAUTH_SESSION_FILE: out })
    const whoami = await e2e.run(['whoami', '--json'], env)
    expect(whoami.code, whoami.stderr).toBe(0)
    expect(JSON.parse(whoami.stdout)).toMatchObject({ did: alice().did, store: 'session-file' })
    const fromEnv = await e2e.run(
      ['whoami', '--json'],
      await ciEnv({ ATOAUTH_SESSION: JSON.stringify(blob) }),
    )
    expect(fromEnv.code, fromEnv.stderr).toBe(0)
    expect(JSON.parse(fromEnv.stdout).store).toBe('session-env')
    expect(fromEnv.stderr).toBe('')
  })

  it('without --out prints the blob on stdout only, the warning on stderr', async () => {
    const { code, stdout, stderr } = await e2e.run(['session', 'export'], e2e.env(), {
      printsSecret: true,
    })
    expect(code, stderr).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({ atoauthSession: 1, did: alice().did })
    expect(stderr).toContain('is a secret')
  })
})

describe('a separate CI session from session create, used from a file', () => {
  const ciFile = () => join(work, 'ci-session.json')

  it('signs in again and writes a session with its own DPoP key and tokens', async () => {
    const laptop = await e2e.storedSession(alice().did)
    const { cli, browser } = await e2e.runWithBrowser(
      ['session', 'create', 'alice.test', '--out', ciFile(), '--timeout', '60', '--json'],
      'alice',
    )
    expect(cli.code, cli.stderr).toBe(0)
    expect(browser).toMatchObject({ ok: true, title: 'Logged in' })
    expect(JSON.parse(cli.stdout)).toEqual({
      did: alice().did,
      handle: 'alice.test',
      out: ciFile(),
    })

    const blob = await readBlob(ciFile())
    expect(blob.did).toBe(alice().did)
    expect((await stat(ciFile())).mode & 0o777).toBe(0o600)
    expect(blob.session.dpopJwk.d).not.toBe(laptop!.dpopJwk.d)
    expect(blob.session.tokenSet.refresh_token).not.toBe(laptop!.tokenSet.refresh_token)
    // The machine's own session and account list are untouched by session create.
    expect(await e2e.storedSession(alice().did)).toEqual(laptop)
    const { accounts } = JSON.parse((await e2e.run(['accounts', '--json'])).stdout)
    expect(accounts).toEqual([expect.objectContaining({ did: alice().did, store: 'keychain' })])
  })

  it('commands work from ATOAUTH_SESSION_FILE in a fresh config dir with no keychain', async () => {
    const env = await ciEnv({ ATOAUTH_SESSION_FILE: ciFile() })
    // Proof that the keychain is out of reach in this environment.
    const noKeychain = await e2e.run(['login', 'alice.test', '--json'], env)
    expect(noKeychain.code).toBe(5)

    const whoami = await e2e.run(['whoami', '--json'], env)
    expect(whoami.code, whoami.stderr).toBe(0)
    expect(JSON.parse(whoami.stdout)).toMatchObject({
      did: alice().did,
      store: 'session-file',
    })
    const post = await e2e.run(['post', 'from CI', '--json'], env)
    expect(post.code, post.stderr).toBe(0)
    const accounts = await e2e.run(['accounts', '--json'], env)
    expect(JSON.parse(accounts.stdout).accounts).toEqual([
      expect.objectContaining({ did: alice().did, store: 'session-file', default: true }),
    ])
  })

  it('a refresh rewrites the file atomically (0600), and the next command still works', async () => {
    const before = await readBlob(ciFile())
    await writeFile(
      ciFile(),
      JSON.stringify({ ...before, session: withStaleAccessToken(before.session) }),
      {
        mode: 0o600,
      },
    )
    const inodeBefore = (await stat(ciFile())).ino
    const env = await ciEnv({ ATOAUTH_SESSION_FILE: ciFile() })

    const from = e2e.sandbox.requests.length
    const whoami = await e2e.run(['whoami', '--json'], env)
    expect(whoami.code, whoami.stderr).toBe(0)
    expect(whoami.stderr).toBe('')
    expect(refreshesSince(e2e.sandbox, from)).toBe(1)

    const after = await readBlob(ciFile())
    expect(after.session.tokenSet.refresh_token).not.toBe(before.session.tokenSet.refresh_token)
    expect(after.session.dpopJwk).toEqual(before.session.dpopJwk)
    expect(Date.parse(after.session.tokenSet.expires_at!)).toBeGreaterThan(Date.now())
    const file = await stat(ciFile())
    expect(file.mode & 0o777).toBe(0o600)
    expect(file.ino).not.toBe(inodeBefore) // replaced by rename, not rewritten in place

    const next = e2e.sandbox.requests.length
    const api = await e2e.run(['api', 'com.atproto.server.getSession'], env)
    expect(api.code, api.stderr).toBe(0)
    expect(JSON.parse(api.stdout).did).toBe(alice().did)
    expect(refreshesSince(e2e.sandbox, next)).toBe(0)
  })

  it('from ATOAUTH_SESSION a refresh works, warns the value is stale, and a replay ends it', async () => {
    const blob = await readBlob(ciFile())
    const stale = JSON.stringify({ ...blob, session: withStaleAccessToken(blob.session) })
    const env = await ciEnv({ ATOAUTH_SESSION: stale })

    const first = await e2e.run(['whoami', '--json'], env)
    expect(first.code, first.stderr).toBe(0)
    expect(JSON.parse(first.stdout).store).toBe('session-env')
    expect(first.stderr).toContain('the session in ATOAUTH_SESSION was refreshed')
    expect(first.stderr).toContain('ATOAUTH_SESSION_FILE')

    // What the warning says: the spent refresh token, replayed, ends the session.
    const replay = await e2e.run(['whoami', '--json'], env)
    expect(replay.code).toBe(3)
    expect(JSON.parse(replay.stdout).error.code).toBe('session_ended')
  })
})
