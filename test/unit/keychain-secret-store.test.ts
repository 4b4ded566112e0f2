import { describe, expect, it } from 'vitest'
import { KeychainSecretStore } from '../../src/store/keychain-secret-store.ts'
import type { Keyring } from '../../src/store/native-keyring.ts'

/** A keyring that, like Windows Credential Manager, refuses values over a size. */
class FakeKeyring implements Keyring {
  readonly description = 'the fake keyring'
  readonly entries = new Map<string, string>()
  failSetsAfter = Number.POSITIVE_INFINITY
  readonly maxValueLength: number

  constructor(maxValueLength: number) {
    this.maxValueLength = maxValueLength
  }

  async get(account: string) {
    return this.entries.get(account)
  }
  async set(account: string, value: string) {
    if (value.length > this.maxValueLength) throw new Error('value too large for one entry')
    if (this.failSetsAfter-- <= 0) throw new Error('keyring went away')
    this.entries.set(account, value)
  }
  async delete(account: string) {
    this.entries.delete(account)
  }
}

const did = 'did:plc:abc'
const big = (seed: string) => Array.from({ length: 3000 }, (_, i) => seed[i % seed.length]).join('')

/**
 * Windows Credential Manager as @napi-rs/keyring meets it: a password is kept as UTF-16, and
 * CredWrite takes at most 2,560 bytes; the store is told what NativeKeyring says on win32.
 */
class WindowsLikeKeyring extends FakeKeyring {
  constructor() {
    super(1200)
  }
  override async set(account: string, value: string) {
    if (Buffer.byteLength(value, 'utf16le') > 2560) {
      throw new Error("Attribute 'password' is longer than the platform limit of 2560 chars")
    }
    this.entries.set(account, value)
  }
}

/** A keychain that says "not found" with an error (macOS's errSecItemNotFound text). */
class NotFoundAsErrorKeyring extends FakeKeyring {
  constructor() {
    super(Number.POSITIVE_INFINITY)
  }
  override async get(account: string) {
    if (!this.entries.has(account)) throw notFound()
    return this.entries.get(account)
  }
  override async delete(account: string) {
    if (!this.entries.delete(account)) throw notFound()
  }
}
const notFound = () =>
  new Error('Cannot use the macOS Keychain: x', {
    cause: new Error('The specified item could not be found in the keychain.'),
  })

describe('KeychainSecretStore', () => {
  it('round-trips a 6 KB session through a keyring that takes 2,560 bytes an entry', async () => {
    const keyring = new WindowsLikeKeyring()
    const store = new KeychainSecretStore(keyring)
    const value = JSON.stringify({ dpopJwk: 'k'.repeat(3000), tokenSet: 't'.repeat(3100) })
    expect(value.length).toBeGreaterThan(6000)
    await store.set(did, value)
    expect(await store.get(did)).toBe(value)
    await store.delete(did)
    expect(keyring.entries.size).toBe(0)
  })

  it('an entry the keychain reports "not found" as an error is simply absent', async () => {
    const keyring = new NotFoundAsErrorKeyring()
    const store = new KeychainSecretStore(keyring)
    expect(await store.get(did)).toBeUndefined()
    await store.delete(did)
    await store.set(did, 'value')
    expect(await store.get(did)).toBe('value')
    await store.delete(did)
    expect(keyring.entries.size).toBe(0)
  })

  it('keeps a value that fits in one entry as is', async () => {
    const keyring = new FakeKeyring(1200)
    const store = new KeychainSecretStore(keyring)
    await store.set(did, '{"small":true}')
    expect([...keyring.entries]).toEqual([[did, '{"small":true}']])
    expect(await store.get(did)).toBe('{"small":true}')
  })

  it('splits a value over several entries when one cannot hold it (Windows: 2560 bytes)', async () => {
    const keyring = new FakeKeyring(1200)
    const store = new KeychainSecretStore(keyring)
    const value = big('session-json ')
    await store.set(did, value)
    expect(keyring.entries.size).toBe(1 + 3)
    for (const stored of keyring.entries.values()) expect(stored.length).toBeLessThanOrEqual(1200)
    expect(keyring.entries.get(did)).toMatch(/^atoauth-chunked:v1:/)
    expect(await store.get(did)).toBe(value)
  })

  it('replacing a chunked value removes the old chunks', async () => {
    const keyring = new FakeKeyring(1200)
    const store = new KeychainSecretStore(keyring)
    await store.set(did, big('first '))
    await store.set(did, big('second '))
    expect(keyring.entries.size).toBe(4)
    expect(await store.get(did)).toBe(big('second '))
    await store.set(did, 'small again')
    expect([...keyring.entries.keys()]).toEqual([did])
  })

  it('a write that fails half way leaves the previous value readable and no stray chunks', async () => {
    const keyring = new FakeKeyring(1200)
    const store = new KeychainSecretStore(keyring)
    await store.set(did, big('old '))
    const before = new Map(keyring.entries)
    keyring.failSetsAfter = 2
    await expect(store.set(did, big('new '))).rejects.toThrow('keyring went away')
    expect(keyring.entries).toEqual(before)
    expect(await store.get(did)).toBe(big('old '))
  })

  it('reports a chunk that went missing instead of returning a truncated session', async () => {
    const keyring = new FakeKeyring(1200)
    const store = new KeychainSecretStore(keyring)
    await store.set(did, big('value '))
    const chunk = [...keyring.entries.keys()].find((k) => k !== did)!
    keyring.entries.delete(chunk)
    await expect(store.get(did)).rejects.toMatchObject({ code: 'keychain_corrupt', exitCode: 3 })
  })

  it('reports a tampered chunk', async () => {
    const keyring = new FakeKeyring(1200)
    const store = new KeychainSecretStore(keyring)
    await store.set(did, big('value '))
    const chunk = [...keyring.entries.keys()].find((k) => k !== did)!
    keyring.entries.set(chunk, 'x'.repeat(1200))
    await expect(store.get(did)).rejects.toMatchObject({ code: 'keychain_corrupt' })
  })

  it('delete removes the header and every chunk', async () => {
    const keyring = new FakeKeyring(1200)
    const store = new KeychainSecretStore(keyring)
    await store.set(did, big('value '))
    await store.delete(did)
    expect(keyring.entries.size).toBe(0)
    expect(await store.get(did)).toBeUndefined()
  })

  it('probe writes, reads back and deletes a throwaway entry', async () => {
    const keyring = new FakeKeyring(1200)
    await new KeychainSecretStore(keyring).probe()
    expect(keyring.entries.size).toBe(0)
  })
})
