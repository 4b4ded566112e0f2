// The OS keychain through @napi-rs/keyring, with every call bounded in time:
// a Secret Service that never answers (a locked keyring waiting for a prompt
// nobody sees) must fail the command, not hang it. The calls run in a helper
// process (keyring-process.ts) that is killed when one is stuck. Failures are
// reported with their cause and its fix (keychain-trouble.ts), and never
// fall back to another store.
import { StorageUnavailableError } from '../errors.js'
import { diagnoseKeychainFailure } from './keychain-trouble.js'
import { type KeyringCall, KeyringCallTimeout, KeyringProcess } from './keyring-process.js'

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
    return this.#call({ op: 'get', service: this.#service, account })
  }

  async set(account: string, value: string): Promise<void> {
    await this.#call({ op: 'set', service: this.#service, account, value })
  }

  async delete(account: string): Promise<void> {
    await this.#call({ op: 'delete', service: this.#service, account })
  }

  async #call(call: KeyringCall): Promise<string | undefined> {
    try {
      keyringProcess ??= new KeyringProcess(CALL_TIMEOUT_MS)
      return await keyringProcess.call(call)
    } catch (err) {
      const trouble = diagnoseKeychainFailure(err, {
        timedOut: err instanceof KeyringCallTimeout,
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

/** One helper process for all the keychain calls of this atoauth process. */
let keyringProcess: KeyringProcess | undefined
