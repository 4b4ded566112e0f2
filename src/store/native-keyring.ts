// The OS keychain through @napi-rs/keyring, every call bounded in time: a keyring that never
// answers (locked, its prompt unseen) must fail the command, not hang it; a person at a terminal
// may be typing its password, though, and gets two minutes. A stuck call holds a libuv thread, and
// atoauth leaves without waiting for it (process-exit.ts). Failures say their cause and fix
// (keychain-trouble.ts), and never fall back to another store.
import type { AsyncEntry } from '@napi-rs/keyring'
import { StorageUnavailableError } from '../errors.js'
import { trackNativeCall } from '../process-exit.js'
import { diagnoseKeychainFailure, KeyringCallTimeout } from './keychain-trouble.js'
import { type Notice, noticeIfSlow, noticeOnStderr } from './notice.js'

/** One keychain entry per account name, under the service name `atoauth`. */
export type Keyring = Pick<NativeKeyring, keyof NativeKeyring>

/** The bound on a call nobody can answer an unlock prompt for (no terminal). */
export const CALL_TIMEOUT_MS = 3_000
/** The bound on a call when a person at a terminal may be answering the unlock prompt. */
export const INTERACTIVE_CALL_TIMEOUT_MS = 120_000

export const UNLOCK_NOTICE =
  'waiting for the keyring to be unlocked (answer its unlock prompt, or press Ctrl-C)…'

export type KeyringWaitOptions = {
  /** Whether a person can answer an unlock prompt; default: stdin and stderr are terminals. */
  interactive?: boolean
  /** Told once, when an interactive call waits over a second; default: stderr. */
  notice?: Notice
}

const DESCRIPTIONS: Partial<Record<NodeJS.Platform, string>> = {
  darwin: 'the macOS Keychain',
  win32: 'the Windows Credential Manager',
}

export class NativeKeyring {
  readonly description = DESCRIPTIONS[process.platform] ?? 'the Secret Service keyring'
  // In UTF-16 code units. Windows caps a credential at 2560 bytes (1280 units): leave some room.
  readonly maxValueLength = process.platform === 'win32' ? 1200 : Number.POSITIVE_INFINITY
  readonly #timeoutMs: number
  /** Says the unlock notice; undefined when nobody can unlock, or once it was said. */
  #unlockNotice: Notice | undefined

  constructor(options: KeyringWaitOptions = {}) {
    const interactive = options.interactive ?? Boolean(process.stdin.isTTY && process.stderr.isTTY)
    this.#timeoutMs = interactive ? INTERACTIVE_CALL_TIMEOUT_MS : CALL_TIMEOUT_MS
    const notice = options.notice ?? noticeOnStderr
    if (interactive) {
      this.#unlockNotice = (message) => {
        this.#unlockNotice = undefined
        notice(message)
      }
    }
  }

  async get(account: string): Promise<string | undefined> {
    return this.#call(account, async (entry) => (await entry.getPassword()) ?? undefined)
  }

  async set(account: string, value: string): Promise<void> {
    await this.#call(account, (entry) => entry.setPassword(value))
  }

  async delete(account: string): Promise<void> {
    await this.#call(account, (entry) => entry.deleteCredential())
  }

  async #call<T>(account: string, operation: (entry: AsyncEntry) => Promise<T>): Promise<T> {
    // One call after another: a keyring that hangs then holds one of libuv's four threads, not all
    // (doctor reads several accounts at once, and its network checks need the others).
    const call = lastCall.then(async () => {
      // After a stuck call the keychain is not asked again: the next would wait behind it.
      if (stuck) throw stuck
      const entry = await this.#entry(account)
      const quiet = this.#unlockNotice && noticeIfSlow(this.#unlockNotice, UNLOCK_NOTICE)
      let timer: NodeJS.Timeout | undefined
      const timeLimit = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          stuck = new KeyringCallTimeout(this.#timeoutMs / 1000)
          reject(stuck)
        }, this.#timeoutMs)
      })
      return Promise.race([trackNativeCall(operation(entry)), timeLimit]).finally(() => {
        clearTimeout(timer)
        quiet?.()
      })
    })
    lastCall = call.catch(() => {})
    try {
      return await call
    } catch (err) {
      const { summary, ...trouble } = diagnoseKeychainFailure(err)
      const message = `Cannot use ${this.description}: ${summary}.`
      throw new StorageUnavailableError(message, { cause: err, ...trouble })
    }
  }

  async #entry(account: string): Promise<AsyncEntry> {
    let entry = entries.get(account)
    if (!entry) {
      // Secret Service platforms ask the bus first, once per process: a silent bus stays silent.
      if (process.platform === 'linux' || process.platform === 'freebsd') {
        const { sessionBusAnswers } = await import('./session-bus.js')
        busAnswers ??= sessionBusAnswers(process.env, CALL_TIMEOUT_MS)
        await busAnswers
      }
      const { AsyncEntry } = await import('@napi-rs/keyring')
      // Pin the Secret Service: the Linux fallback (kernel keyring) loses all sessions at reboot.
      entry = new AsyncEntry('atoauth', account, { linux: { store: 'secret-service' } })
      entries.set(account, entry)
    }
    return entry
  }
}

// Entries are kept: making one opens a D-Bus connection and a Secret Service session (~10 ms).
const entries = new Map<string, AsyncEntry>()
let busAnswers: Promise<void> | undefined
let stuck: KeyringCallTimeout | undefined
let lastCall: Promise<unknown> = Promise.resolve()
