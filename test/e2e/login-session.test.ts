// The core journey, end to end: the built binary, a real PLC + PDS, headless
// Chromium on the real sign-in and consent pages, the real Secret Service.
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { insecureSessionFile, keychainEntry, listFiles, useE2E } from './harness.ts'

const e2e = useE2E()

async function configFilesText(dir: string): Promise<string> {
  const files = await listFiles(dir)
  const texts = await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8').catch(() => '')))
  return texts.join('\n')
}

describe('login with the hosted https client_id, then whoami, post, logout', () => {
  const alice = () => e2e.sandbox.accounts.alice!

  it('logs in through the consent page and keeps the session in the Secret Service', async () => {
    const { cli, browser } = await e2e.login('alice')

    expect(cli.code, cli.stderr).toBe(0)
    expect(cli.stdout).toContain(`Logged in as alice.test (${alice().did})`)
    // The URL is always printed on stderr; stdout carries only the result.
    expect(cli.stderr).toMatch(
      /http:\/\/localhost:\d+\/oauth\/authorize\?client_id=https%3A%2F%2Fatoauth\.github\.io/,
    )
    expect(cli.stdout).not.toContain('oauth/authorize')
    expect(browser).toMatchObject({ ok: true, status: 200, title: 'Logged in' })

    const stored = await e2e.storedSession(alice().did)
    expect(stored?.tokenSet.sub).toBe(alice().did)
    expect(await keychainEntry(alice().did)).toBeDefined()
    expect(stored?.dpopJwk.d).toBeTruthy()

    // The config dir holds the account index, and no secret at all.
    const config = await configFilesText(e2e.configDir)
    expect(config).toContain(alice().did)
    expect(config).not.toContain(stored!.tokenSet.access_token)
    expect(config).not.toContain(stored!.tokenSet.refresh_token!)
    expect(config).not.toContain(stored!.dpopJwk.d!)
    expect(await listFiles(join(e2e.configDir, 'insecure-sessions'))).toEqual([])
  })

  it('whoami --json reports the live account, scopes and both expiries', async () => {
    const { code, stdout, stderr } = await e2e.run(['whoami', '--json'])
    expect(code, stderr).toBe(0)
    const whoami = JSON.parse(stdout)
    expect(whoami).toMatchObject({
      did: alice().did,
      handle: 'alice.test',
      pds: `${e2e.sandbox.pdsUrl}/`,
      scope: 'atproto transition:generic',
      clientId: 'https://atoauth.github.io/oauth-client-metadata.json',
      store: 'keychain',
    })
    const loginAt = Date.parse(whoami.loginAt)
    expect(Date.parse(whoami.sessionExpiresAt) - loginAt).toBe(14 * 24 * 3600 * 1000)
    expect(Date.parse(whoami.accessTokenExpiresAt)).toBeGreaterThan(Date.now())
    expect(stderr).toBe('')
  })

  it('posts with link, mention and hashtag facets', async () => {
    const text = 'hello from the terminal https://example.org #atproto @bob.test'
    const { code, stdout, stderr } = await e2e.run(['post', '--json', text])
    expect(code, stderr).toBe(0)
    const posted = JSON.parse(stdout)
    expect(posted.uri).toMatch(new RegExp(`^at://${alice().did}/app\\.bsky\\.feed\\.post/\\w+$`))
    const rkey = posted.uri.split('/').pop()
    // No bsky.app link for a post on a PDS the public network cannot see (the sandbox's is http).
    expect(posted.url).toBeUndefined()

    const res = await fetch(
      `${e2e.sandbox.pdsUrl}/xrpc/com.atproto.repo.getRecord?repo=${alice().did}&collection=app.bsky.feed.post&rkey=${rkey}`,
    )
    expect(res.status).toBe(200)
    const { value } = (await res.json()) as { value: { text: string; facets: unknown[] } }
    // The link is shown short, as the Bluesky app shows it; its facet keeps the whole URL.
    expect(value.text).toBe('hello from the terminal example.org #atproto @bob.test')
    const features = value.facets.map(
      (f) => (f as { features: Array<Record<string, string>> }).features[0],
    )
    expect(features).toEqual(
      expect.arrayContaining([
        { $type: 'app.bsky.richtext.facet#link', uri: 'https://example.org' },
        { $type: 'app.bsky.richtext.facet#tag', tag: 'atproto' },
        { $type: 'app.bsky.richtext.facet#mention', did: e2e.sandbox.accounts.bob!.did },
      ]),
    )
  })

  it('refuses a post over 300 graphemes before touching the network', async () => {
    const { code, stderr } = await e2e.run(['post', 'é'.repeat(301)])
    expect(code).toBe(2)
    expect(stderr).toContain('301 characters long; the limit is 300')
  })

  it('logout revokes the session at the PDS and forgets it locally', async () => {
    const before = await keychainEntry(alice().did)
    expect(before).toBeDefined()

    // Without the sandbox's handle resolver, as on a person's machine: the
    // OAuth client then builds the SSRF-safe DNS/HTTPS one, whose undici agent
    // the bundle loads only when it is made (scripts/build.mjs).
    const { code, stdout, stderr } = await e2e.run(
      ['logout', '--json'],
      e2e.env({ ATOAUTH_HANDLE_RESOLVER: undefined }),
    )
    expect(code, stderr).toBe(0)
    expect(JSON.parse(stdout)).toEqual({ did: alice().did, handle: 'alice.test', revoked: true })
    expect(await keychainEntry(alice().did)).toBeUndefined()
    expect(await configFilesText(e2e.configDir)).not.toContain(alice().did)

    // Replay the old session from a copy: the PDS must refuse it.
    const copyDir = await mkdtemp(join(tmpdir(), 'atoauth-copy-'))
    const account = {
      version: 1,
      defaultDid: alice().did,
      accounts: [
        {
          did: alice().did,
          handle: 'alice.test',
          pds: `${e2e.sandbox.pdsUrl}/`,
          issuer: `${e2e.sandbox.pdsUrl}/`,
          clientId: 'https://atoauth.github.io/oauth-client-metadata.json',
          scope: 'atproto transition:generic',
          store: 'file',
          loginAt: new Date().toISOString(),
        },
      ],
    }
    await writeFile(join(copyDir, 'accounts.json'), JSON.stringify(account))
    await mkdir(join(copyDir, 'insecure-sessions'), { recursive: true })
    await writeFile(insecureSessionFile(copyDir, alice().did), before!)
    const replayPost = await e2e.run(
      ['post', 'still here?'],
      e2e.env({ ATOAUTH_CONFIG_DIR: copyDir }),
    )
    expect(replayPost.code, replayPost.stderr).toBe(3)
    const replay = await e2e.run(['whoami'], e2e.env({ ATOAUTH_CONFIG_DIR: copyDir }))
    expect(replay.code, replay.stderr).toBe(3)
    expect(replay.stderr).toContain('Log in again: atoauth login alice.test')

    const after = await e2e.run(['whoami'])
    expect(after.code).toBe(3)
    expect(after.stderr).toContain('not logged in')
    e2e.expectNoSecretsPrinted()
  })
})

describe('login with the development client id', () => {
  it('needs no hosted document and gives a working session', async () => {
    const bob = e2e.sandbox.accounts.bob!
    const { cli, browser } = await e2e.login('bob', { args: ['--dev-client'] })
    expect(cli.code, cli.stderr).toBe(0)
    expect(browser.title).toBe('Logged in')
    expect(cli.stderr).toContain('client_id=http%3A%2F%2Flocalhost%3F')

    const { code, stdout } = await e2e.run(['whoami', '--json'])
    expect(code).toBe(0)
    const whoami = JSON.parse(stdout)
    expect(whoami.did).toBe(bob.did)
    expect(whoami.clientId).toMatch(/^http:\/\/localhost\?/)

    expect((await e2e.run(['logout'])).code).toBe(0)
    e2e.expectNoSecretsPrinted()
  })
})

describe('when the browser never comes back', () => {
  it('--no-browser prints the URL, and the timeout ends the login with nothing stored', async () => {
    const alice = e2e.sandbox.accounts.alice!
    const { code, stdout, stderr } = await e2e.run([
      'login',
      'alice.test',
      '--no-browser',
      '--timeout',
      '2',
      '--json',
    ])
    expect(code).toBe(1)
    expect(stderr).toMatch(
      /Open this URL in a browser to sign in:\n\n {2}http:\/\/localhost:\d+\/oauth\/authorize\?/,
    )
    expect(JSON.parse(stdout)).toEqual({
      error: {
        code: 'login_timeout',
        message: 'No answer from the browser within 2 s.',
        hint: 'Run atoauth login again, and finish signing in sooner (or pass --timeout).',
      },
    })
    expect(await keychainEntry(alice.did)).toBeUndefined()
  })
})

describe('when the person presses deny', () => {
  it('fails clearly, shows the error in the browser, and stores nothing', async () => {
    const alice = e2e.sandbox.accounts.alice!
    const { cli, browser } = await e2e.login('alice', { action: 'deny', args: ['--json'] })
    expect(cli.code).toBe(1)
    expect(JSON.parse(cli.stdout)).toEqual({
      error: {
        code: 'access_denied',
        // The server's error_description, in its words.
        message: 'The authorization was denied in the browser (The user rejected the request).',
        hint: 'Run atoauth login again and choose to authorize atoauth.',
      },
    })
    expect(browser).toMatchObject({ ok: true, status: 400, title: 'Login failed' })
    expect(browser.detail).toContain(
      'The authorization was denied in the browser (The user rejected the request).',
    )
    expect(await keychainEntry(alice.did)).toBeUndefined()
    expect(await configFilesText(e2e.configDir)).not.toContain(alice.did)
  })
})

describe('when the keychain is unavailable', () => {
  const noSecretService = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/atoauth-test-bus' }

  it('refuses to log in before the browser opens, with the cause and the fix', async () => {
    const alice = e2e.sandbox.accounts.alice!
    const { cli, browser } = await e2e.login('alice', { env: noSecretService })
    expect(cli.code).toBe(5)
    expect(cli.stderr).toContain('Cannot use the Secret Service keyring')
    expect(cli.stderr).toContain('--insecure-storage')
    expect(cli.stderr).not.toContain('oauth/authorize')
    expect(browser.steps).toEqual([])
    expect(await configFilesText(e2e.configDir)).not.toContain(alice.did)
  })

  it('--insecure-storage works, says so, and keeps the file 0600', async () => {
    const alice = e2e.sandbox.accounts.alice!
    const { cli } = await e2e.login('alice', { args: ['--insecure-storage'], env: noSecretService })
    expect(cli.code, cli.stderr).toBe(0)
    expect(cli.stderr).toContain('warning: using insecure plaintext session storage')

    const file = insecureSessionFile(e2e.configDir, alice.did)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await stat(join(e2e.configDir, 'insecure-sessions'))).mode & 0o777).toBe(0o700)

    // Later commands find the session where the login put it; one that only reads it does not
    // repeat the warning (status and doctor name plaintext sessions; a refresh says it again).
    const whoami = await e2e.run(['whoami', '--json'], e2e.env(noSecretService))
    expect(whoami.code, whoami.stderr).toBe(0)
    expect(JSON.parse(whoami.stdout)).toMatchObject({ did: alice.did, store: 'file' })
    expect(whoami.stderr).not.toContain('plaintext')
    const status = await e2e.run(['status'], e2e.env(noSecretService))
    expect(status.stderr).toContain('warning: the session of alice.test is kept in plaintext')

    expect((await e2e.run(['logout'], e2e.env(noSecretService))).code).toBe(0)
    expect(await listFiles(join(e2e.configDir, 'insecure-sessions'))).toEqual([])
    e2e.expectNoSecretsPrinted()
  })
})
