// Keychain calls go to a child process (keyring-child.ts), each with a time
// limit. When a call does not come back in time the child is killed: that is
// the only way to end a call stuck inside the native library, and it leaves
// atoauth free to report the trouble and exit with its own code.
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type {
  KeyringOperation,
  KeyringReady,
  KeyringReply,
  KeyringRequest,
} from './keyring-child.js'

/** Loading Node and the native library, on a busy machine. Not a keychain call. */
const STARTUP_TIMEOUT_MS = 10_000

/** A keychain call that got no answer within its time limit. */
export class KeyringCallTimeout extends Error {
  readonly seconds: number

  constructor(seconds: number) {
    super(`no answer within ${seconds} s`)
    this.name = 'KeyringCallTimeout'
    this.seconds = seconds
  }
}

export type KeyringCall = {
  op: KeyringOperation
  service: string
  account: string
  value?: string
}

export class KeyringProcess {
  readonly #timeoutMs: number
  #child: KeyringChild | undefined
  #nextId = 1

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs
  }

  /** Resolves with the stored value (get) or undefined; rejects with the library's error. */
  async call(call: KeyringCall): Promise<string | undefined> {
    if (!this.#child?.alive) this.#child = new KeyringChild()
    const child = this.#child
    await child.ready
    return child.request({ id: this.#nextId++, ...call }, this.#timeoutMs)
  }
}

type Pending = {
  resolve: (value: string | undefined) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

class KeyringChild {
  /** Resolves once the child has loaded the library; rejects if it never does. */
  readonly ready: Promise<void>
  readonly #process: ChildProcess
  readonly #pending = new Map<number, Pending>()
  readonly #startupTimer: NodeJS.Timeout
  #startupFailed: (err: Error) => void = () => {}
  #alive = true

  constructor() {
    const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
    const script = fileURLToPath(new URL(`./keyring-child${extension}`, import.meta.url))
    this.#process = fork(script, [], {
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      execArgv: [],
      serialization: 'json',
    })
    // An idle child must not keep atoauth running: only a call waiting for
    // its answer (its timer) keeps the event loop alive.
    this.#process.unref()
    this.#process.channel?.unref()

    let started: () => void = () => {}
    this.ready = new Promise<void>((resolve, reject) => {
      started = resolve
      this.#startupFailed = reject
    })
    this.ready.catch(() => {})
    this.#startupTimer = setTimeout(() => {
      this.#kill(
        new Error(`the keychain helper did not start within ${STARTUP_TIMEOUT_MS / 1000} s`),
      )
    }, STARTUP_TIMEOUT_MS)

    this.#process.on('message', (message: KeyringReply | KeyringReady) => {
      if ('ready' in message) {
        clearTimeout(this.#startupTimer)
        if (message.ready) started()
        else this.#kill(errorFromMessages(message.messages))
      } else {
        this.#settle(message)
      }
    })
    this.#process.on('error', (err) => this.#end(err))
    this.#process.on('exit', (code, signal) =>
      this.#end(new Error(`the keychain helper exited (${signal ?? `code ${code}`})`)),
    )
  }

  get alive(): boolean {
    return this.#alive
  }

  request(request: KeyringRequest, timeoutMs: number): Promise<string | undefined> {
    if (!this.#alive) return Promise.reject(new Error('the keychain helper has exited'))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.#kill(new KeyringCallTimeout(timeoutMs / 1000)),
        timeoutMs,
      )
      this.#pending.set(request.id, { resolve, reject, timer })
      this.#process.send(request, (err) => {
        if (err) this.#kill(err)
      })
    })
  }

  #settle(reply: KeyringReply): void {
    const pending = this.#pending.get(reply.id)
    if (!pending) return
    this.#pending.delete(reply.id)
    clearTimeout(pending.timer)
    if (reply.ok) pending.resolve(reply.value)
    else pending.reject(errorFromMessages(reply.messages))
  }

  /** Fails every waiting call with `reason`, then kills the child. */
  #kill(reason: Error): void {
    this.#end(reason)
    this.#process.kill('SIGKILL')
  }

  #end(reason: Error): void {
    if (!this.#alive) return
    this.#alive = false
    clearTimeout(this.#startupTimer)
    this.#startupFailed(reason)
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer)
      pending.reject(reason)
    }
    this.#pending.clear()
  }
}

/** The child's error again, as a chain of causes (what keychain-trouble.ts reads). */
function errorFromMessages(messages: string[]): Error {
  let error: Error | undefined
  for (const message of [...messages].reverse()) {
    error = new Error(message, error ? { cause: error } : undefined)
  }
  return error ?? new Error('the keychain call failed')
}
