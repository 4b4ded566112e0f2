// Where session secrets (refresh token, access token, DPoP private key) live:
// the OS keychain (the default), or a 0600 file the user must opt into.
import type { Settings, StoreKind } from '../settings.js'
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

/** `keyring` says how a keychain call waits for a locked keyring (see NativeKeyring). */
export async function openSecretStore(
  kind: StoreKind,
  settings: Settings,
  keyring: KeyringWaitOptions = {},
): Promise<SecretStore> {
  if (kind === 'file') {
    const { FileSecretStore } = await import('./file-secret-store.js')
    return new FileSecretStore(settings.configDir)
  }
  const { KeychainSecretStore } = await import('./keychain-secret-store.js')
  const { NativeKeyring } = await import('./native-keyring.js')
  // Every atoauth entry is filed under the service name `atoauth`.
  return new KeychainSecretStore(new NativeKeyring('atoauth', keyring))
}
