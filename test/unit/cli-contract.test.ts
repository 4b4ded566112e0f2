// The output and exit-code contract scripts rely on, checked on the built
// binary for the failures that need no server.
import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const BIN = resolve(import.meta.dirname, '../../bin/atoauth.js')
const configDir = mkdtempSync(join(tmpdir(), 'atoauth-unit-'))

function atoauth(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ATOAUTH_CONFIG_DIR: configDir, NO_COLOR: '1', ...env } },
      (err, stdout, stderr) => done({ code: err ? Number(err.code) : 0, stdout, stderr }),
    )
  })
}

describe('exit codes and output streams', () => {
  it('--help goes to stdout and exits 0', async () => {
    const { code, stdout } = await atoauth(['--help'])
    expect(code).toBe(0)
    expect(stdout).toContain('Usage: atoauth')
    expect(stdout).toContain('Exit codes:')
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

  it.each([['whoami'], ['post', 'hi'], ['logout']])(
    '%s without a login exits 3 with a hint to log in',
    async (...args) => {
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
    },
  )

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
})
