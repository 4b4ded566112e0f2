// The store behind ATOAUTH_SESSION_FILE / ATOAUTH_SESSION: a refresh rewrites
// the file atomically with mode 0600, re-reads it every time (another
// process may have rotated it), and warns once when the session came from
// the environment and can no longer be kept fresh.
import { chmod, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NodeSavedSession } from '@atproto/oauth-client-node'
import { describe, expect, it } from 'vitest'
import { ExportedSessionStore } from '../../src/store/exported-session-store.ts'
import { parseSessionBlob, toSessionBlob } from '../../src/store/session-blob.ts'

const did = 'did:plc:alice'
const account = {
  did,
  handle: 'alice.test',
  pds: 'https://pds.example.com/',
  issuer: 'https://pds.example.com/',
  clientId: 'https://atoauth.github.io/oauth-client-metadata.json',
  scope: 'atproto transition:generic',
  loginAt: '2026-11-01T00:00:00.000Z',
}

function session(refreshToken: string): NodeSavedSession {
  return {
    dpopJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' },
    authMethod: 'none' as const,
    tokenSet: {
      iss: account.issuer,
      sub: did,
      aud: account.pds,
      scope: account.scope,
      access_token: 'at',
      refresh_token: refreshToken,
      token_type: 'DPoP',
    },
  } as unknown as NodeSavedSession
}

async function sessionFile(mode = 0o600): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'atoauth-blob-')), 'ci-session.json')
  await writeFile(path, JSON.stringify(toSessionBlob(account, session('rt-1'))), { mode })
  await chmod(path, mode)
  return path
}

function collectWarnings() {
  const warnings: string[] = []
  return { warnings, events: { warn: (m: string) => void warnings.push(m) } }
}

describe('ATOAUTH_SESSION_FILE', () => {
  it('rewrites the file atomically with mode 0600 when the tokens rotate', async () => {
    const path = await sessionFile()
    const inode = (await stat(path)).ino
    const { warnings, events } = collectWarnings()
    const store = await ExportedSessionStore.open({ kind: 'session-file', path }, events)

    await store.set(did, session('rt-2'))

    const blob = parseSessionBlob(await readFile(path, 'utf8'), path)
    expect(blob.session.tokenSet.refresh_token).toBe('rt-2')
    expect(blob).toMatchObject({ atoauthSession: 1, handle: 'alice.test' })
    const after = await stat(path)
    // Windows has no permission bits for 0600: Node reports a writable file as 0666 there.
    expect(after.mode & 0o777).toBe(process.platform === 'win32' ? 0o666 : 0o600)
    expect(after.ino).not.toBe(inode)
    expect(warnings).toEqual([])
  })

  it('reads the file afresh: another process may have rotated the tokens', async () => {
    const path = await sessionFile()
    const store = await ExportedSessionStore.open(
      { kind: 'session-file', path },
      collectWarnings().events,
    )
    const other = await ExportedSessionStore.open(
      { kind: 'session-file', path },
      collectWarnings().events,
    )
    await other.set(did, session('rt-from-elsewhere'))
    expect((await store.get(did))?.tokenSet.refresh_token).toBe('rt-from-elsewhere')
  })

  it('answers only for its own account', async () => {
    const path = await sessionFile()
    const store = await ExportedSessionStore.open(
      { kind: 'session-file', path },
      collectWarnings().events,
    )
    expect(await store.get('did:plc:someone-else')).toBeUndefined()
    await expect(store.set('did:plc:someone-else', session('x'))).rejects.toThrow()
  })

  it('deletes the file when the session ends', async () => {
    const path = await sessionFile()
    const store = await ExportedSessionStore.open(
      { kind: 'session-file', path },
      collectWarnings().events,
    )
    await store.del(did)
    await expect(stat(path)).rejects.toThrow(/ENOENT/)
    expect(await store.get(did)).toBeUndefined()
  })

  it('warns when other users can read the file', async () => {
    const path = await sessionFile(0o644)
    const { warnings, events } = collectWarnings()
    await ExportedSessionStore.open({ kind: 'session-file', path }, events)
    // Windows has no such mode bits to read (a file's ACL decides there): nothing to warn about.
    expect(warnings).toEqual(
      process.platform === 'win32'
        ? []
        : [`${path} holds a secret but other users may read it: chmod 600 ${path}`],
    )
  })
})

describe('ATOAUTH_SESSION', () => {
  const text = JSON.stringify(toSessionBlob(account, session('rt-1')))

  it('keeps a rotated session in memory and warns once that the variable is stale', async () => {
    const { warnings, events } = collectWarnings()
    const store = await ExportedSessionStore.open(
      { kind: 'session-env', variable: 'ATOAUTH_SESSION', text },
      events,
    )
    expect(store.account).toEqual(account)
    await store.set(did, session('rt-2'))
    await store.set(did, session('rt-3'))
    expect((await store.get(did))?.tokenSet.refresh_token).toBe('rt-3')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('the session in ATOAUTH_SESSION was refreshed just now')
    expect(warnings[0]).toContain('ATOAUTH_SESSION_FILE')
    expect(warnings[0]).not.toContain('rt-')
  })
})
