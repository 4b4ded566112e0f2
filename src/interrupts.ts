// How atoauth answers SIGINT, SIGTERM and SIGHUP. Usually at once: the command is cancelled (its
// signal aborts) and the process leaves with the signal's usual code (130, 143, 129).
//
// Except while a token answer is on its way. The authorization server spends a refresh token (or
// an authorization code) the moment it answers, with no grace period: a process that leaves
// before storing that answer keeps only the spent token, and the next command's refresh is a
// replay, which revokes the whole session. So from the moment a token request is sent until its
// answer is stored and the refresh lock released (a "keeping" section, below), a signal is held
// back: atoauth says so once, finishes, and then leaves with the signal's code. A second Ctrl-C
// at a terminal leaves at once (the person chose to); elsewhere (a CI runner's SIGINT then
// SIGTERM) signals stay held. The wait is bounded by the token request's own deadline.
import { CancelledError, type ExitCodeValue } from './errors.js'
import { exitNow } from './process-exit.js'
import { LIBRARY_REQUEST_TIMEOUT_MS } from './request-bounds.js'

export type Interrupt = 'SIGINT' | 'SIGTERM' | 'SIGHUP'

export const INTERRUPT_EXIT_CODES = {
  SIGHUP: 129,
  SIGINT: 130,
  SIGTERM: 143,
} as const satisfies Record<Interrupt, ExitCodeValue>

const INTERRUPTS = Object.keys(INTERRUPT_EXIT_CODES) as Interrupt[]

/** What a keeping section finishes, in the words said to the person when a signal waits on it. */
export type Keeping = 'refresh' | 'sign-in'

const FINISHING: Record<Keeping, string> = {
  refresh: 'finishing the token refresh so the session is not lost',
  'sign-in': 'finishing the sign-in so the new session is not lost',
}

/** A commands's grace after a signal outside a section, to close its listener and the like. */
const CLEANUP_GRACE_MS = 2_000

/**
 * The longest a held signal waits: the token request's deadline, and a little more to store the
 * answer. A keychain that hangs past it costs the session, as a kill -9 would.
 */
export const HOLD_LIMIT_MS = LIBRARY_REQUEST_TIMEOUT_MS + 5_000

// Module state: one process, one set of signals. Sections are counted rather than told apart (no
// async context): a token request sent while any section is open holds signals until every open
// section has ended, which can only hold them a little longer than needed, never less.
let openSections = 0
/** What the open sections finish, once a token request was sent inside them. */
let sectionsHolding: Keeping | undefined
/** Token requests sent outside any section, their answers not yet read. */
let bareHolds = 0
let lastOpened: Keeping = 'refresh'
/** The first signal received while holding, acted on when the holding ends. */
let pending: Interrupt | undefined
let handler: InterruptHandler | undefined

/**
 * Runs `work`; if a token request is sent while it runs, signals are held back until it ends, so
 * the answer is stored (and any lock taken inside released) before the process can leave.
 */
export async function keepingTokenAnswer<T>(
  keeping: Keeping,
  work: () => T | PromiseLike<T>,
): Promise<T> {
  openSections++
  lastOpened = keeping
  try {
    return await work()
  } finally {
    openSections--
    if (openSections === 0 && sectionsHolding) {
      sectionsHolding = undefined
      released()
    }
  }
}

/**
 * Says that a token request is about to be sent. Inside a section, signals wait for the sections
 * to end; outside one, the returned function ends the hold (call it once the answer is read).
 */
export function tokenRequestSent(): () => void {
  if (openSections > 0) {
    sectionsHolding ??= lastOpened
    return () => {}
  }
  bareHolds++
  let done = false
  return () => {
    if (done) return
    done = true
    bareHolds--
    released()
  }
}

function released(): void {
  // The answer is stored: leave now, as the signal asked.
  if (!isHolding() && pending) handler?.leave(pending)
}

function finishing(): Keeping {
  return sectionsHolding ?? 'refresh'
}

/** Whether a signal would be held back now. */
export function isHolding(): boolean {
  return sectionsHolding !== undefined || bareHolds > 0
}

export type InterruptOptions = {
  /** Aborted (with a CancelledError) by a signal outside a section. */
  cancel: AbortController
  /** Whether a person can press Ctrl-C again (a terminal), who may then leave at once. */
  atTerminal: () => boolean
  /** Writes a line for the person (stderr). */
  say: (line: string) => void
  /** Ends the process (default: process-exit.ts's exitNow). */
  exit?: (code: number) => void
}

/** Installs the handlers for this process; returns how to remove them. */
export function handleInterrupts(options: InterruptOptions): () => void {
  const own = new InterruptHandler(options)
  handler = own
  const listeners = INTERRUPTS.map((name) => {
    const listener = () => own.received(name)
    process.on(name, listener)
    return [name, listener] as const
  })
  return () => {
    for (const [name, listener] of listeners) process.off(name, listener)
    if (handler === own) handler = undefined
  }
}

class InterruptHandler {
  readonly #options: InterruptOptions
  #limit: NodeJS.Timeout | undefined

  constructor(options: InterruptOptions) {
    this.#options = options
  }

  received(signal: Interrupt): void {
    const { cancel, say } = this.#options
    const atTerminal = () => this.#options.atTerminal()
    if (!isHolding()) {
      // A second signal while the command cleans up: leave at once.
      if (cancel.signal.aborted) {
        this.#exit(INTERRUPT_EXIT_CODES[signal])
        return
      }
      cancel.abort(cancelledBy(signal))
      setTimeout(() => this.#exit(INTERRUPT_EXIT_CODES[signal]), CLEANUP_GRACE_MS).unref()
      return
    }
    if (pending === undefined) {
      pending = signal
      const again = atTerminal() ? ' (press Ctrl-C again to leave now)' : ''
      say(`atoauth: ${FINISHING[finishing()]}, then leaving${again}…`)
      this.#limit = setTimeout(() => {
        say('atoauth: the token answer did not come in time; leaving without it.')
        this.#exit(INTERRUPT_EXIT_CODES[signal])
      }, HOLD_LIMIT_MS)
      this.#limit.unref()
      return
    }
    if (signal === 'SIGINT' && atTerminal()) {
      say(
        'atoauth: leaving now. The server may already have spent the old refresh token: ' +
          'if the new one was not stored, this session may be lost and the next command will ' +
          'ask you to log in again.',
      )
      this.#exit(INTERRUPT_EXIT_CODES.SIGINT)
    }
    // Otherwise (a CI runner's SIGTERM after its SIGINT): still held, already said.
  }

  leave(signal: Interrupt): void {
    clearTimeout(this.#limit)
    this.#options.cancel.abort(cancelledBy(signal))
    this.#exit(INTERRUPT_EXIT_CODES[signal])
  }

  #exit(code: number): void {
    ;(this.#options.exit ?? exitNow)(code)
  }
}

function cancelledBy(signal: Interrupt): CancelledError {
  const words = { SIGINT: 'Cancelled.', SIGTERM: 'Terminated.', SIGHUP: 'Hung up.' }[signal]
  return new CancelledError(words, INTERRUPT_EXIT_CODES[signal])
}

/** For tests: forget every hold and pending signal. */
export function resetInterruptsForTest(): void {
  openSections = 0
  sectionsHolding = undefined
  bareHolds = 0
  pending = undefined
  handler = undefined
}
