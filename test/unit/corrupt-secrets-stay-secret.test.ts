// A damaged session (keychain entry, plaintext file, ATOAUTH_SESSION or
// ATOAUTH_SESSION_FILE) is reported without any part of what it holds: not in
// the message, the hint, the details, nor anywhere down the cause chain.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExportedSessionStore } from '../../src/store/exported-session-store.ts'
import { KeychainSecretStore } from '../../src/store/keychain-secret-store.ts'
import type { Keyring } from '../../src/store/native-keyring.ts'
import { FileSecretStore } from '../../src/store/secret-store.ts'
import { parseSessionBlob } from '../../src/store/session-blob.ts'
import { SecretSessionStore } from '../../src/store/session-store.ts'

const SECRET = 'Kq7VxZ3mPw9TnLr2Hs5D'
const did = 'did:plc:a'

/** Damaged texts holding the secret where JSON.parse (or a careless message) would quote it. */
const damaged = [
  ['JSON broken next to the secret', `{"refresh_token": ${SECRET}}`],
  ['the secret alone', SECRET],
  ['JSON of another shape', `{"dpopJwk": "${SECRET}"}`],
  ['the secret as the format version', `{"atoauthSession": "${SECRET}"}`],
]

async function thrownBy(read: () => Promise<unknown>): Promise<unknown> {
  try {
    await read()
  } catch (err) {
    return err
  }
  throw new Error('expected the read to fail')
}

/** Everything of an error a person or a log could see, its causes included. */
function visibleText(err: unknown): string {
  const parts: string[] = []
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 10; depth++) {
    if (!(e instanceof Error)) {
      parts.push(String(e))
      break
    }
    const { hint, details } = e as { hint?: string; details?: unknown }
    parts.push(e.message, String(e.stack), String(hint), JSON.stringify(details ?? null))
    e = e.cause
  }
  return parts.join('\n')
}

function expectNoPartOfTheSecret(err: unknown) {
  expect(err).toBeInstanceOf(Error)
  const text = visibleText(err)
  for (let i = 0; i + 6 <= SECRET.length; i++) {
    expect(text, 'an error quotes the secret').not.toContain(SECRET.slice(i, i + 6))
  }
}

class OneEntryKeyring implements Keyring {
  readonly description = 'the test keyring'
  readonly maxValueLength = Number.POSITIVE_INFINITY
  readonly value: string
  constructor(value: string) {
    this.value = value
  }
  async get() {
    return this.value
  }
  async set() {}
  async delete() {}
}

describe('a damaged session never shows what it holds', () => {
  it.each(damaged)('a keychain entry: %s', async (_, text) => {
    const store = new SecretSessionStore(new KeychainSecretStore(new OneEntryKeyring(text)))
    const err = await thrownBy(() => store.get(did))
    expect(err).toMatchObject({ code: 'session_unreadable', exitCode: 3 })
    expect((err as Error).message).toContain('the test keyring')
    expectNoPartOfTheSecret(err)
  })

  it.each(damaged)('a plaintext session file (--insecure-storage): %s', async (_, text) => {
    const files = new FileSecretStore(mkdtempSync(join(tmpdir(), 'atoauth-corrupt-')))
    await files.set(did, text)
    const err = await thrownBy(() => new SecretSessionStore(files).get(did))
    expect(err).toMatchObject({ code: 'session_unreadable', hint: expect.stringMatching(/login/) })
    expectNoPartOfTheSecret(err)
  })

  it.each(damaged)('ATOAUTH_SESSION: %s', async (_, text) => {
    const source = { kind: 'session-env', variable: 'ATOAUTH_SESSION', text } as const
    const err = await thrownBy(() => ExportedSessionStore.open(source, { warn: () => {} }))
    expect(err).toMatchObject({ code: 'invalid_session', message: /ATOAUTH_SESSION/ })
    expectNoPartOfTheSecret(err)
  })

  it.each(damaged)('ATOAUTH_SESSION_FILE: %s', async (_, text) => {
    const path = join(mkdtempSync(join(tmpdir(), 'atoauth-corrupt-')), 'session.json')
    writeFileSync(path, text, { mode: 0o600 })
    const source = { kind: 'session-file', path } as const
    const err = await thrownBy(() => ExportedSessionStore.open(source, { warn: () => {} }))
    expect(err).toMatchObject({ code: 'invalid_session', message: /ATOAUTH_SESSION_FILE/ })
    expectNoPartOfTheSecret(err)
  })

  it('an export of an unknown format version names the version when it is a number', () => {
    const text = JSON.stringify({ atoauthSession: 7 })
    expect(() => parseSessionBlob(text, 'ATOAUTH_SESSION')).toThrow(/format version 7,/)
  })
})
