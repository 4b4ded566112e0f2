// The OAuth client's caches kept on disk between runs: a warm command makes
// only the request it needs, and a stale or broken cache costs a round trip,
// never a failure.
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useE2E } from './harness.ts'

const e2e = useE2E({ loginAs: 'alice' })

const cacheFile = (name: string) => join(e2e.env().ATOAUTH_CACHE_DIR as string, `${name}.json`)

type CacheFile = { version: 1; entries: Record<string, { value: unknown; expiresAt: number }> }

async function editCache(name: string, change: (file: CacheFile) => void): Promise<void> {
  const file = JSON.parse(await readFile(cacheFile(name), 'utf8')) as CacheFile
  change(file)
  await writeFile(cacheFile(name), JSON.stringify(file))
}

/** Runs a command and returns the requests the PDS / authorization server saw for it. */
async function requestsOf(args: string[], env = e2e.env()): Promise<string[]> {
  const from = e2e.sandbox.requests.length
  const { code, stdout, stderr } = await e2e.run([...args, '--json'], env)
  expect(code, stderr).toBe(0)
  // whoami's did, or the at:// URI of what post created: alice's either way.
  expect(stdout).toContain(e2e.sandbox.accounts.alice!.did)
  return e2e.sandbox.requests.slice(from).map((r) => `${r.method} ${r.path} ${r.status}`)
}

/** With the session in the keychain, whoami, api and post take the warm path: no OAuth client. */
const whoami = () => requestsOf(['whoami'])
const api = () => requestsOf(['api', 'com.atproto.server.getSession'])
const post = () => requestsOf(['post', 'cached'])
/** From an exported session file, whoami goes through the OAuth client (and its caches). */
const viaLibrary = async () => {
  const out = join(e2e.env().ATOAUTH_CONFIG_DIR as string, 'exported-session.json')
  const exported = await e2e.run(['session', 'export', '--out', out])
  expect(exported.code, exported.stderr).toBe(0)
  return requestsOf(['whoami'], e2e.env({ ATOAUTH_SESSION_FILE: out }))
}
const GET_SESSION = 'GET /xrpc/com.atproto.server.getSession 200'
const CREATE = 'POST /xrpc/com.atproto.repo.createRecord 200'

describe('caches kept between runs', () => {
  it('through the OAuth client, a warm command makes exactly one request', async () => {
    await viaLibrary() // fills whatever the login did not
    expect(await viaLibrary()).toEqual([GET_SESSION])
    expect(await viaLibrary()).toEqual([GET_SESSION])
  })

  it('the warm path of whoami and api needs no server metadata at all: one request', async () => {
    await rm(cacheFile('authorization-servers'), { force: true })
    await rm(cacheFile('protected-resources'), { force: true })
    expect(await whoami()).toEqual([GET_SESSION])
    expect(await api()).toEqual([GET_SESSION])
  })

  it('a stale DPoP nonce costs the usual retry, and the fresh one is kept', async () => {
    for (const command of [whoami, api]) {
      await editCache('dpop-nonces', (file) => {
        for (const entry of Object.values(file.entries)) entry.value = 'stale-nonce'
      })
      expect(await command()).toEqual(['GET /xrpc/com.atproto.server.getSession 401', GET_SESSION])
      const nonces = JSON.parse(await readFile(cacheFile('dpop-nonces'), 'utf8')) as CacheFile
      expect(Object.values(nonces.entries).map((e) => e.value)).not.toContain('stale-nonce')
      expect(await command()).toEqual([GET_SESSION])
    }
    await editCache('dpop-nonces', (file) => {
      for (const entry of Object.values(file.entries)) entry.value = 'stale-nonce'
    })
    expect(await post()).toEqual(['POST /xrpc/com.atproto.repo.createRecord 401', CREATE])
    expect(await post()).toEqual([CREATE])
  })

  it('expired server metadata is fetched again', async () => {
    await viaLibrary() // the metadata again, after the warm-path test removed it
    await editCache('authorization-servers', (file) => {
      for (const entry of Object.values(file.entries)) entry.expiresAt = Date.now() - 1000
    })
    expect(await viaLibrary()).toEqual([
      'GET /.well-known/oauth-authorization-server 200',
      GET_SESSION,
    ])
  })

  it('a corrupt cache file is an empty cache, then rewritten', async () => {
    await writeFile(cacheFile('authorization-servers'), '{ not json')
    expect(await viaLibrary()).toContain('GET /.well-known/oauth-authorization-server 200')
    JSON.parse(await readFile(cacheFile('authorization-servers'), 'utf8'))
    expect(await viaLibrary()).toEqual([GET_SESSION])
  })
})
