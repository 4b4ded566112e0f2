// The output and exit-code contract scripts rely on, checked on the built
// binary for the failures that need no server.
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const BIN = resolve(import.meta.dirname, '../../bin/atoauth.js')
const configDir = mkdtempSync(join(tmpdir(), 'atoauth-unit-'))

function atoauth(args: string[], env: Record<string, string> = {}) {
  // The tests decide about colour themselves.
  const { FORCE_COLOR: _force, NO_COLOR: _no, ...inherited } = process.env
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...inherited, ATOAUTH_CONFIG_DIR: configDir, ...env } },
      (err, stdout, stderr) => done({ code: err ? Number(err.code) : 0, stdout, stderr }),
    )
  })
}

describe('completion from the built binary', () => {
  it('prints a bash script that bash accepts, and handles from accounts.json without a keychain', async () => {
    const script = await atoauth(['completion', 'bash'])
    expect(script.code).toBe(0)
    expect(script.stdout).toContain('complete -F _atoauth atoauth')
    execFileSync('bash', ['-n'], { input: script.stdout }) // throws on a syntax error
    const dir = mkdtempSync(join(tmpdir(), 'atoauth-handles-'))
    const account = { did: 'did:plc:abc', handle: 'alice.test', pds: 'https://pds.test/' }
    const record = { ...account, issuer: account.pds, clientId: 'x', scope: 'atproto' }
    const full = { ...record, store: 'keychain', loginAt: '2026-12-01T00:00:00.000Z' }
    // One entry edited by hand (or written by a hostile server before whoami checked handles).
    const hostile = { ...full, did: 'did:plc:evil', handle: '$(touch /tmp/atoauth-pwned)' }
    const accounts = [full, hostile]
    writeFileSync(join(dir, 'accounts.json'), JSON.stringify({ version: 1, accounts }))
    // A D-Bus address that leads nowhere: any use of the keychain would fail the command.
    const env = { ATOAUTH_CONFIG_DIR: dir, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' }
    expect(await atoauth(['completion', '--handles'], env)).toEqual({
      code: 0,
      stdout: 'alice.test\n',
      stderr: '',
    })
  })
})

describe('exit codes and output streams', () => {
  it('--help goes to stdout and exits 0', async () => {
    const { code, stdout } = await atoauth(['--help'])
    expect(code).toBe(0)
    expect(stdout).toContain('Usage: atoauth')
    expect(stdout).toContain('Exit codes:')
  })

  it('`version` prints what --version prints', async () => {
    const flag = await atoauth(['--version'])
    expect(await atoauth(['version'])).toEqual(flag)
    const json = await atoauth(['version', '--json'])
    expect(JSON.parse(json.stdout)).toEqual({ version: flag.stdout.trim() })
  })

  it('`help <unknown>` is a usage error (2) like any unknown command', async () => {
    const { code, stdout, stderr } = await atoauth(['help', 'frobnicate'])
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toContain("unknown command 'frobnicate'")
  })

  it('an unknown command is a usage error (2) on stderr', async () => {
    const { code, stdout, stderr } = await atoauth(['frobnicate'])
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toContain("unknown command 'frobnicate'")
  })

  it('with --json a usage error is one JSON document on stdout', async () => {
    const { code, stdout, stderr } = await atoauth(['login', '--json'])
    expect(code).toBe(2)
    expect(stderr).toBe('')
    expect(JSON.parse(stdout)).toEqual({
      error: { code: 'usage', message: "missing required argument 'account'" },
    })
  })

  it('an invalid handle is a usage error naming the input', async () => {
    const { code, stderr } = await atoauth(['login', 'not a handle'])
    expect(code).toBe(2)
    expect(stderr).toContain('"not a handle" is not a valid handle, DID or URL.')
  })

  it('an invalid --timeout is a usage error', async () => {
    expect((await atoauth(['login', 'alice.test', '--timeout', 'soon'])).code).toBe(2)
  })

  it.each([
    ['whoami'],
    ['post', 'hi'],
    ['logout'],
    ['api', 'com.atproto.server.getSession'],
    ['session', 'export'],
  ])('%s without a login exits 3 with a hint to log in', async (...args) => {
    const { code, stdout, stderr } = await atoauth([...args, '--json'])
    expect(code).toBe(3)
    expect(stderr).toBe('')
    expect(JSON.parse(stdout)).toEqual({
      error: {
        code: 'not_logged_in',
        message: 'You are not logged in.',
        hint: 'Log in with: atoauth login <handle>',
      },
    })
  })

  it('--account naming an unknown account exits 3', async () => {
    const { code, stderr } = await atoauth(['whoami', '--account', 'carol.test'])
    expect(code).toBe(3)
    expect(stderr).toContain('No account carol.test is logged in.')
  })

  it('a bad ATOAUTH_STORE is a usage error', async () => {
    const { code, stderr } = await atoauth(['whoami'], { ATOAUTH_STORE: 'floppy' })
    expect(code).toBe(2)
    expect(stderr).toContain('ATOAUTH_STORE must be "keychain" or "file"')
  })

  it('client-metadata prints only the document on stdout', async () => {
    const { code, stdout } = await atoauth([
      'client-metadata',
      '--client-id',
      'https://my.host.example.org/oauth-client-metadata.json',
    ])
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({
      client_id: 'https://my.host.example.org/oauth-client-metadata.json',
      client_uri: 'https://my.host.example.org/',
    })
  })

  it('client-metadata refuses a client_id that cannot be hosted', async () => {
    const { code, stderr } = await atoauth([
      'client-metadata',
      '--client-id',
      'https://10.0.0.1/m.json',
    ])
    expect(code).toBe(2)
    expect(stderr).toContain('is not a valid hosted client_id')
  })

  it('accounts with nobody logged in prints an empty list, and a note on stderr', async () => {
    const json = await atoauth(['accounts', '--json'])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual({ accounts: [] })
    const text = await atoauth(['accounts'])
    expect(text.stdout).toBe('')
    expect(text.stderr).toContain('No account is logged in')
  })
})

// Every command's failure in --json mode: one document on stdout, with the
// code, message and hint a script can rely on, nothing on stderr, and the
// documented exit code.
describe('--json failure shape of every command', () => {
  const corruptDir = mkdtempSync(join(tmpdir(), 'atoauth-unit-corrupt-'))
  writeFileSync(join(corruptDir, 'accounts.json'), '{ not json')
  const missingFile = join(configDir, 'no-such-session.json')
  const validBlobMissingSession = JSON.stringify({
    atoauthSession: 1,
    did: 'did:plc:abc',
    handle: 'a.test',
    pds: 'https://pds.example.com/',
    issuer: 'https://pds.example.com/',
    clientId: 'https://atoauth.github.io/oauth-client-metadata.json',
    scope: 'atproto',
    loginAt: '2026-01-01T00:00:00.000Z',
  })

  const cases: Array<{
    name: string
    args: string[]
    env?: Record<string, string>
    exit: number
    code: string
    message: RegExp
    hint?: RegExp
  }> = [
    {
      name: 'login with an invalid handle',
      args: ['login', 'not a handle'],
      exit: 2,
      code: 'usage',
      message: /is not a valid handle, DID or URL/,
      hint: /atoauth login alice\.bsky\.social/,
    },
    {
      name: 'whoami for an account that is not logged in',
      args: ['whoami', '--account', 'carol.test'],
      exit: 3,
      code: 'not_logged_in',
      message: /^No account carol\.test is logged in\.$/,
      hint: /atoauth login carol\.test/,
    },
    {
      name: 'accounts with a corrupt account index',
      args: ['accounts'],
      env: { ATOAUTH_CONFIG_DIR: corruptDir },
      exit: 1,
      code: 'config_corrupt',
      message: /accounts\.json is not valid JSON/,
      hint: /delete the file/,
    },
    {
      name: 'switch to an unknown account',
      args: ['switch', 'bob.test'],
      exit: 3,
      code: 'not_logged_in',
      message: /No account bob\.test/,
    },
    {
      name: 'post past 300 graphemes',
      args: ['post', 'x'.repeat(301)],
      exit: 2,
      code: 'post_too_long',
      message: /301 characters long; the limit is 300/,
    },
    {
      name: 'post with a --reply that is not a post URI',
      args: ['post', 'hi', '--reply', 'https://example.com/profile/alice.test/post/3k'],
      exit: 2,
      code: 'usage',
      message: /is not the at:\/\/ URI or bsky\.app link of a post/,
    },
    {
      name: 'post with an image that is not an image',
      args: ['post', 'hi', '--image', 'package.json'],
      exit: 2,
      code: 'image_unsupported',
      message: /package\.json is not a PNG, JPEG, WebP or GIF image/,
    },
    {
      name: 'post with an image from stdin',
      args: ['post', 'hi', '--image', '-'],
      exit: 2,
      code: 'usage',
      message: /an image is read from a file, not stdin/,
    },
    {
      name: 'post with an --alt before any --image',
      args: ['post', 'hi', '--alt', 'a cat'],
      exit: 2,
      code: 'usage',
      message: /--alt describes the --image before it/,
    },
    {
      name: 'delete of a link that is not a post',
      args: ['delete', 'https://bsky.app/profile/alice.test'],
      exit: 2,
      code: 'usage',
      message: /is not the at:\/\/ URI or bsky\.app link of a post/,
    },
    {
      name: 'post with a bad --lang',
      args: ['post', 'hi', '--lang', 'not a language'],
      exit: 2,
      code: 'usage',
      message: /is not a language tag/,
    },
    {
      name: 'api with a method name that is not an NSID',
      args: ['api', 'getSession'],
      exit: 2,
      code: 'usage',
      message: /is not an XRPC method name/,
    },
    {
      name: 'api with an unknown NSID and no --method',
      args: ['api', 'com.example.thing'],
      exit: 2,
      code: 'usage',
      message: /does not know whether com\.example\.thing is a query or a procedure/,
      hint: /--method GET/,
    },
    {
      name: 'api with a malformed field',
      args: ['api', 'com.atproto.repo.listRecords', 'limit:=five'],
      exit: 2,
      code: 'usage',
      message: /The value of limit:= is not JSON/,
    },
    {
      name: 'api with an --input file that does not exist',
      args: ['api', 'com.atproto.repo.createRecord', '--input', missingFile],
      exit: 2,
      code: 'usage',
      message: /Cannot read the request body from/,
    },
    {
      name: 'api with --input on a query',
      args: ['api', 'com.atproto.repo.listRecords', '--input', missingFile],
      exit: 2,
      code: 'usage',
      message: /a GET \(query\) cannot have/,
    },
    {
      name: 'session export without a login',
      args: ['session', 'export', '--out', missingFile],
      exit: 3,
      code: 'not_logged_in',
      message: /You are not logged in/,
    },
    {
      name: 'session create with an invalid handle',
      args: ['session', 'create', 'nope nope'],
      exit: 2,
      code: 'usage',
      message: /is not a valid handle/,
    },
    {
      name: 'logout with an account and --all',
      args: ['logout', 'alice.test', '--all'],
      exit: 2,
      code: 'usage',
      message: /not both/,
    },
    {
      name: 'client-metadata for a client_id that cannot be hosted',
      args: ['client-metadata', '--client-id', 'http://example.com/m.json'],
      exit: 2,
      code: 'usage',
      message: /is not a valid hosted client_id/,
    },
    {
      name: 'any command with an ATOAUTH_SESSION that is not a session',
      args: ['whoami'],
      env: { ATOAUTH_SESSION: '{"hello":"world"}' },
      exit: 2,
      code: 'invalid_session',
      message: /^ATOAUTH_SESSION cannot be used: it is not an atoauth session export\.$/,
      hint: /atoauth session create/,
    },
    {
      name: 'an ATOAUTH_SESSION of a newer format',
      args: ['api', 'com.atproto.server.getSession'],
      env: { ATOAUTH_SESSION: '{"atoauthSession":2}' },
      exit: 2,
      code: 'invalid_session',
      message: /format version 2/,
      hint: /Upgrade atoauth/,
    },
    {
      name: 'an ATOAUTH_SESSION without its saved session',
      args: ['post', 'hi'],
      env: { ATOAUTH_SESSION: validBlobMissingSession },
      exit: 2,
      code: 'invalid_session',
      message: /the saved session is missing/,
    },
    {
      name: 'an ATOAUTH_SESSION_FILE that does not exist',
      args: ['whoami'],
      env: { ATOAUTH_SESSION_FILE: missingFile },
      exit: 3,
      code: 'not_logged_in',
      message: /which does not exist/,
      hint: /atoauth session create/,
    },
    {
      name: 'both ATOAUTH_SESSION and ATOAUTH_SESSION_FILE',
      args: ['accounts'],
      env: { ATOAUTH_SESSION: '{}', ATOAUTH_SESSION_FILE: missingFile },
      exit: 2,
      code: 'usage',
      message: /both set/,
    },
    {
      name: 'switch while an exported session is in use',
      args: ['switch', 'a.test'],
      env: { ATOAUTH_SESSION: validBlobMissingSession },
      exit: 2,
      code: 'usage',
      message: /every command uses it/,
    },
  ]

  it.each(cases)('$name → exit $exit, code $code', async (c) => {
    const { code, stdout, stderr } = await atoauth([...c.args, '--json'], c.env)
    expect(stderr).toBe('')
    expect(code).toBe(c.exit)
    const document = JSON.parse(stdout)
    expect(Object.keys(document)).toEqual(['error'])
    expect(document.error.code).toBe(c.code)
    expect(document.error.message).toMatch(c.message)
    if (c.hint) expect(document.error.hint).toMatch(c.hint)
    // The same failure without --json: the message on stderr, nothing on stdout.
    const human = await atoauth(c.args, c.env)
    expect(human.code).toBe(c.exit)
    expect(human.stdout).toBe('')
    expect(human.stderr).toContain(document.error.message)
  })
})

describe('colour', () => {
  it('is used when forced, and NO_COLOR or --no-color turn it off', async () => {
    const ansi = `${String.fromCharCode(27)}[`
    expect((await atoauth(['whoami'], { FORCE_COLOR: '1' })).stderr).toContain(ansi)
    expect((await atoauth(['whoami', '--no-color'], { FORCE_COLOR: '1' })).stderr).not.toContain(
      ansi,
    )
    const noColor = await atoauth(['whoami'], { FORCE_COLOR: '1', NO_COLOR: '1' })
    expect(noColor.stderr).toContain('error: You are not logged in.')
    expect(noColor.stderr).not.toContain(ansi)
  })
})

describe('stdin', () => {
  it('is never read unless asked for with -: an open, idle stdin does not block', async () => {
    // execFile leaves the child's stdin an open pipe that never ends.
    const { code } = await atoauth(['post', 'hi', '--json'])
    expect(code).toBe(3)
  })
})
