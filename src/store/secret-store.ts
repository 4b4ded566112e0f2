// Where session secrets (tokens, DPoP private key) live: the OS keychain (the default), or the
// opt-in plaintext store (--insecure-storage / ATOAUTH_STORE=file), a 0600 file per account.
import { randomBytes } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Settings, StoreKind } from '../settings.js'
import { writeFileAtomically } from './atomic-write.js'
import type { KeyringWaitOptions } from './native-keyring.js'

export interface SecretStore {
  readonly kind: StoreKind
  /** For messages: where the secret is kept. */
  readonly location: string
  get(account: string): Promise<string | undefined>
  set(account: string, value: string): Promise<void>
  delete(account: string): Promise<void>
  /** Proves the store works (write, read back, delete) before a login starts. */
  probe(): Promise<void>
}

export async function openSecretStore(
  kind: StoreKind,
  settings: Settings,
  keyring: KeyringWaitOptions = {},
): Promise<SecretStore> {
  if (kind === 'file') return new FileSecretStore(settings.configDir)
  const { KeychainSecretStore } = await import('./keychain-secret-store.js')
  const { NativeKeyring } = await import('./native-keyring.js')
  return new KeychainSecretStore(new NativeKeyring(keyring))
}

/** `store`, calling `written` after each set(); the probe's own test entry is not a session. */
export function withWriteNotice(store: SecretStore, written: () => void): SecretStore {
  return {
    kind: store.kind,
    location: store.location,
    get: (account) => store.get(account),
    set: async (account, value) => {
      await store.set(account, value)
      written()
    },
    delete: (account) => store.delete(account),
    probe: () => store.probe(),
  }
}

export class FileSecretStore implements SecretStore {
  readonly kind = 'file'
  readonly location: string

  constructor(configDir: string) {
    this.location = join(configDir, 'insecure-sessions')
  }

  async get(account: string): Promise<string | undefined> {
    return readFile(this.#path(account), 'utf8').catch((err) => {
      if (err.code === 'ENOENT') return undefined
      throw err
    })
  }

  async set(account: string, value: string): Promise<void> {
    await writeFileAtomically(this.#path(account), value)
  }

  async delete(account: string): Promise<void> {
    await rm(this.#path(account), { force: true })
  }

  async probe(): Promise<void> {
    const account = `probe-${randomBytes(6).toString('hex')}`
    await this.set(account, 'probe')
    await this.delete(account)
  }

  #path(account: string): string {
    return join(this.location, `${encodeURIComponent(account)}.json`)
  }
}
