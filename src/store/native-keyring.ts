// The OS keychain through @napi-rs/keyring, with every call bounded in time:
// a Secret Service that never answers (a locked keyring waiting for a prompt
// nobody sees) must fail the command, not hang it.
import type { AsyncEntry } from '@napi-rs/keyring'
import { StorageUnavailableError } from '../errors.js'
import { diagnoseKeychainFailure } from './keychain-trouble.js'

/** One keychain entry per account name, under a fixed service. */
export interface Keyring {
  readonly description: string
  /** The longest value one entry can hold, in UTF-16 code units. */
  readonly maxValueLength: number
  get(account: string): Promise<string | undefined>
  set(account: string, value: string): Promise<void>
  delete(account: string): Promise<void>
}

const CALL_TIMEOUT_MS = 3_000

/**
 * Windows Credential Manager caps a credential blob at 2560 bytes, and stores
 * a password as UTF-16: 1280 code units. Leave some room below that.
 */
const WINDOWS_MAX_VALUE_LENGTH = 1200

export class NativeKeyring implements Keyring {
  readonly description: string
  readonly maxValueLength: number
  readonly #service: string

  constructor(service: string, platform: NodeJS.Platform = process.platform) {
    this.#service = service
    this.maxValueLength = platform === 'win32' ? WINDOWS_MAX_VALUE_LENGTH : Number.POSITIVE_INFINITY
    this.description =
      platform === 'darwin'
        ? 'the macOS Keychain'
        : platform === 'win32'
          ? 'the Windows Credential Manager'
          : 'the Secret Service keyring'
  }

  async get(account: string): Promise<string | undefined> {
    const value = await this.#call(account, (entry, signal) => entry.getPassword(signal))
    return value ?? undefined
  }

  async set(account: string, value: string): Promise<void> {
    await this.#call(account, (entry, signal) => entry.setPassword(value, signal))
  }

  async delete(account: string): Promise<void> {
    await this.#call(account, (entry, signal) => entry.deleteCredential(signal))
  }

  async #call<T>(account: string, fn: (entry: AsyncEntry, signal: AbortSignal) => Promise<T>) {
    const signal = AbortSignal.timeout(CALL_TIMEOUT_MS)
    try {
      const { AsyncEntry } = await import('@napi-rs/keyring')
      // On Linux, pin the Secret Service: the default fallback (the kernel
      // keyring) silently loses every session at reboot.
      const entry = new AsyncEntry(this.#service, account, { linux: { store: 'secret-service' } })
      const timeout = new Promise<never>((_, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason), { once: true })
      })
      return await Promise.race([fn(entry, signal), timeout])
    } catch (err) {
      const trouble = diagnoseKeychainFailure(err, {
        timedOut: signal.aborted && err === signal.reason,
        timeoutSeconds: CALL_TIMEOUT_MS / 1000,
      })
      throw new StorageUnavailableError(`Cannot use ${this.description}: ${trouble.summary}.`, {
        cause: err,
        hint: trouble.hint,
        reason: trouble.reason,
      })
    }
  }
}
