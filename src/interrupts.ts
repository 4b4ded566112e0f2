// How atoauth answers SIGINT, SIGTERM and SIGHUP. Usually at once: the command is cancelled (its
// signal aborts) and the process leaves with the signal's usual code (130, 143, 129).
//
// Except while a token answer is on its way (token-answer-hold.ts): then a signal is held back,
// said once, and takes effect once the answer is stored and the lock released, so the session is
// not lost. A second Ctrl-C at a terminal leaves at once (the person chose to); elsewhere (a CI
// runner's SIGINT then SIGTERM) signals stay held. And once a signal has come, no token request
// starts: the old token stays unspent, and the session as it was.
import { readFileSync } from 'node:fs'
import { CancelledError, type ExitCodeValue } from './errors.js'
import { exitNow } from './process-exit.js'
import { REQUEST_TIMEOUT_MS } from './request-bounds.js'
import {
  holdKeeping,
  isHolding,
  type Keeping,
  resetHoldsForTest,
  watchHolds,
} from './token-answer-hold.js'

export type Interrupt = 'SIGINT' | 'SIGTERM' | 'SIGHUP'

export const INTERRUPT_EXIT_CODES = {
  SIGHUP: 129,
  SIGINT: 130,
  SIGTERM: 143,
} as const satisfies Record<Interrupt, ExitCodeValue>

const FINISHING: Record<Keeping, string> = {
  refresh: 'finishing the token refresh so the session is not lost',
  'sign-in': 'finishing the sign-in so the new session is not lost',
}

const FINISHED: Record<Keeping, string> = {
  refresh: 'Cancelled, once the refreshed session was stored.',
  'sign-in': 'Cancelled, once the new session was kept.',
}

/** A command's grace after a signal, to close its listener and report the cancellation. */
const CLEANUP_GRACE_MS = 2_000

/**
 * The longest a held signal waits, counted from the signal: a token request's own bound, and a
 * little more to store the answer. A keychain that hangs past it costs the session, as a kill -9
 * would.
 */
export const HOLD_LIMIT_MS = REQUEST_TIMEOUT_MS + 5_000

/** The signal that cancelled the command, once one did, and what the hold it waited on finished. */
const state: {
  received: Interrupt | undefined
  finished: Keeping | undefined
  handler: InterruptHandler | undefined
} = { received: undefined, finished: undefined, handler: undefined }

/** The cancellation a signal asked for, once one came: what the command ends with. */
export function interruption(): CancelledError | undefined {
  const signal = state.received
  if (!signal) return undefined
  const finished = state.finished ? FINISHED[state.finished] : 'Cancelled.'
  return new CancelledError(finished, INTERRUPT_EXIT_CODES[signal])
}

/** Whether the signal waited for a token answer to be kept (so nothing was lost, and much was done). */
export function interruptionWaited(): boolean {
  return state.finished !== undefined
}

export type InterruptOptions = {
  /** Aborted (with the signal's CancelledError) when the command is to stop. */
  cancel: AbortController
  /** Whether a person can press Ctrl-C again (a terminal), who may then leave at once. */
  atTerminal: () => boolean
  /** Writes a line for the person (stderr); it must not throw. */
  say: (line: string) => void
  /** Ends the process (default: process-exit.ts's exitNow). */
  exit?: (code: number) => void
  /** Whether SIGHUP was ignored when atoauth started (`nohup`): then it stays ignored. */
  hangupIgnored?: () => boolean
}

/** Installs the handlers for this process; returns how to remove them. */
export function handleInterrupts(options: InterruptOptions): () => void {
  const handler = new InterruptHandler(options)
  state.handler = handler
  handler.listen()
  const unwatch = watchHolds({
    beforeSend: () => {
      if (!state.received) return
      throw new CancelledError(
        'Cancelled before the token request was sent: the session is as it was.',
        INTERRUPT_EXIT_CODES[state.received],
      )
    },
    started: () => handler.holdStarted(),
    ended: () => handler.holdEnded(),
  })
  return () => {
    unwatch()
    handler.stop()
    if (state.handler === handler) state.handler = undefined
  }
}

class InterruptHandler {
  readonly #options: InterruptOptions
  readonly #timers = new Set<NodeJS.Timeout>()
  /** The signal held while a token answer is on its way. */
  #held: Interrupt | undefined
  /** Ends a held signal's wait at HOLD_LIMIT_MS. */
  #limit: NodeJS.Timeout | undefined
  #listeners = new Map<Interrupt, () => void>()

  constructor(options: InterruptOptions) {
    this.#options = options
  }

  /**
   * SIGINT and SIGTERM always; SIGHUP only while a token answer is on its way, as until then its
   * default (leave at once) is right, and listening would undo a `nohup`'s SIG_IGN.
   */
  listen(): void {
    this.#on('SIGINT')
    this.#on('SIGTERM')
  }

  holdStarted(): void {
    if (!(this.#options.hangupIgnored ?? hangupIgnoredAtStart)()) this.#on('SIGHUP')
  }

  holdEnded(): void {
    this.#off('SIGHUP')
    const held = this.#held
    this.#held = undefined
    this.#clear(this.#limit)
    // The answer is stored: the command stops now, as the signal asked.
    if (held) this.#cancel(held)
  }

  stop(): void {
    for (const name of [...this.#listeners.keys()]) this.#off(name)
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
  }

  #received(signal: Interrupt): void {
    if (isHolding()) this.#hold(signal)
    // A second signal while the command cleans up: leave at once.
    else if (state.received) this.#exit(INTERRUPT_EXIT_CODES[signal])
    else this.#cancel(signal)
  }

  #cancel(signal: Interrupt): void {
    state.received ??= signal
    this.#options.cancel.abort(interruption())
    this.#after(CLEANUP_GRACE_MS, () => this.#exit(INTERRUPT_EXIT_CODES[state.received ?? signal]))
  }

  #hold(signal: Interrupt): void {
    const { say } = this.#options
    if (this.#held === undefined) {
      this.#held = signal
      state.received = signal
      state.finished = holdKeeping()
      const again = this.#options.atTerminal() ? ' (press Ctrl-C again to leave now)' : ''
      say(`atoauth: ${FINISHING[state.finished]}, then leaving${again}…`)
      this.#limit = this.#after(HOLD_LIMIT_MS, () => {
        say('atoauth: the token answer did not come in time; leaving without it.')
        this.#exit(INTERRUPT_EXIT_CODES[signal])
      })
      return
    }
    if (signal === 'SIGINT' && this.#options.atTerminal()) {
      say(
        'atoauth: leaving now. The server may already have spent the old refresh token: ' +
          'if the new one was not stored, this session may be lost and the next command will ' +
          'ask you to log in again.',
      )
      this.#exit(INTERRUPT_EXIT_CODES.SIGINT)
    }
    // Otherwise (a CI runner's SIGTERM after its SIGINT): still held, already said.
  }

  #on(name: Interrupt): void {
    if (this.#listeners.has(name)) return
    const listener = () => this.#received(name)
    this.#listeners.set(name, listener)
    process.on(name, listener)
  }

  #off(name: Interrupt): void {
    const listener = this.#listeners.get(name)
    if (!listener) return
    process.off(name, listener)
    this.#listeners.delete(name)
  }

  #after(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      fn()
    }, ms)
    timer.unref()
    this.#timers.add(timer)
    return timer
  }

  #clear(timer: NodeJS.Timeout | undefined): void {
    if (!timer) return
    clearTimeout(timer)
    this.#timers.delete(timer)
  }

  #exit(code: number): void {
    ;(this.#options.exit ?? exitNow)(code)
  }
}

let hangupIgnored: boolean | undefined

/**
 * Linux says which signals the process ignores (SigIgn, SIGHUP its lowest bit); elsewhere: no.
 * Read before atoauth ever listens for SIGHUP (a listener, once removed, leaves the default).
 */
function hangupIgnoredAtStart(): boolean {
  hangupIgnored ??= (() => {
    try {
      const status = readFileSync('/proc/self/status', 'utf8')
      const mask = /^SigIgn:\s*([0-9a-f]+)$/m.exec(status)?.[1]
      return mask !== undefined && (BigInt(`0x${mask}`) & 1n) === 1n
    } catch {
      return false
    }
  })()
  return hangupIgnored
}

/** For tests: forget every hold, signal and handler. */
export function resetInterruptsForTest(): void {
  state.handler?.stop()
  Object.assign(state, { received: undefined, finished: undefined, handler: undefined })
  resetHoldsForTest()
}
