// Can new sessions be stored? Writes, reads back and deletes a probe entry in
// the store a login would use now: the OS keychain, or the opted-in plaintext files.
import { describeCause, StorageUnavailableError } from '../errors.js'
import type { Settings } from '../settings.js'
import { openSecretStore } from '../store/secret-store.js'
import { type Check, fail, hintOf, ok, warn } from './check.js'

const NAME = 'secret-store'

export async function secretStoreCheck(settings: Settings): Promise<Check> {
  const store = await openSecretStore(settings.storeKind, settings)
  try {
    await store.probe()
  } catch (err) {
    const reason = describeCause(err)
    if (store.kind === 'file') {
      const hint = `Make ${store.location} writable by you, or set ATOAUTH_CONFIG_DIR to a directory that is.`
      return fail(NAME, reason, hint)
    }
    const hint = hintOf(err) ?? new StorageUnavailableError(reason).hint
    // Commands use the exported session, not the keychain: only a login would fail.
    if (!settings.exportedSession) return fail(NAME, reason, hint)
    const meanwhile = 'commands use the exported session meanwhile; login needs the keychain'
    return warn(NAME, `${reason} (${meanwhile})`, hint)
  }
  if (store.kind === 'file') {
    const detail = `sessions are kept in plaintext files in ${store.location} (--insecure-storage or ATOAUTH_STORE=file)`
    const hint =
      'Drop --insecure-storage and unset ATOAUTH_STORE to keep new sessions in the OS keychain.'
    return warn(NAME, detail, hint)
  }
  return ok(NAME, `${store.location} works: a test entry was written, read back and deleted`)
}
