// Bounds the time `login` spends before the browser opens: resolving the
// account (handle → DID → PDS → authorization server) and the pushed
// authorization request. Without a bound, a server that accepts connections
// but never answers would keep `login` waiting for the browser timeout (or,
// for the requests the OAuth client makes without a signal, for ever).
//
// The OAuth client passes our signal to the resolution fetches, but not to the
// pushed authorization request, and DNS lookups of handles cannot be cancelled
// at all. So every request goes through `fetch` below, which also listens to
// the deadline and remembers what is in flight (to say what timed out), and
// the phase itself is raced against the deadline.
import { startDeadline } from '../deadline.js'
import {
  type FailedStep,
  type ResolutionStep,
  resolutionError,
  resolutionTimeoutError,
} from '../errors/resolution-errors.js'

/** Long enough for a slow network, short enough that nobody wonders whether atoauth hangs. */
export const RESOLUTION_TIMEOUT_SECONDS = 20

type InFlight = { url: string }

export class ResolutionDeadline {
  readonly #seconds: number
  /** Set while the phase runs: every request then also ends at the deadline. */
  #signal: AbortSignal | undefined
  readonly #inFlight = new Set<InFlight>()
  #lastUrl: string | undefined

  constructor(seconds = RESOLUTION_TIMEOUT_SECONDS) {
    this.#seconds = seconds
  }

  /** The fetch to give the OAuth client. Outside the phase it is plain `fetch`. */
  readonly fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const own = init?.signal ?? (input instanceof Request ? input.signal : undefined)
    const url = input instanceof Request ? input.url : String(input)
    return this.send(url, own ?? undefined, (signal) =>
      globalThis.fetch(input, signal ? { ...init, signal } : init),
    )
  }

  /**
   * Any request of the phase (fetch or not): it also ends at the deadline,
   * and is named if the deadline comes while it is in flight. Outside the
   * phase it runs with `own` alone.
   */
  async send<T>(
    url: string,
    own: AbortSignal | undefined,
    request: (signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    const deadline = this.#signal
    if (!deadline) return request(own)
    const inFlight: InFlight = { url }
    this.#inFlight.add(inFlight)
    this.#lastUrl = url
    try {
      return await request(own ? AbortSignal.any([own, deadline]) : deadline)
    } finally {
      this.#inFlight.delete(inFlight)
    }
  }

  /**
   * Runs `phase` (the `authorize()` call) with a signal that also fires at the
   * deadline. Resolution failures and the timeout become one-line
   * AtoauthErrors; anything else (a cancellation…) is thrown as it came.
   */
  async run<T>(
    identifier: string,
    signal: AbortSignal,
    phase: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const started = performance.now()
    const deadline = startDeadline(this.#seconds * 1000, signal)
    const bounded = deadline.signal
    // Taken when the deadline fires, before the aborted requests unwind.
    let pending: { failed: FailedStep; url: string | undefined } | undefined
    const onAbort = () => {
      pending = this.#inProgress(identifier)
    }
    bounded.addEventListener('abort', onAbort, { once: true })
    this.#signal = bounded
    try {
      return await raceAgainst(bounded, phase(bounded))
    } catch (err) {
      if (bounded.aborted && isTimeout(bounded.reason)) {
        const seconds = Math.round((performance.now() - started) / 1000)
        const { failed, url } = pending ?? this.#inProgress(identifier)
        throw resolutionTimeoutError(failed, identifier, seconds, url)
      }
      if (bounded.aborted) throw bounded.reason
      throw resolutionError(err, identifier) ?? err
    } finally {
      deadline.clear()
      bounded.removeEventListener('abort', onAbort)
      this.#signal = undefined
    }
  }

  /** The step being worked on: the latest request still in flight, else the latest made. */
  #inProgress(identifier: string): { failed: FailedStep; url: string | undefined } {
    const url = [...this.#inFlight].at(-1)?.url ?? this.#lastUrl
    if (url) return { failed: stepOfRequest(url), url }
    // No request yet: a handle's DNS lookup, or a DID the resolver is about to fetch.
    const step: ResolutionStep = identifier.startsWith('did:') ? 'did_document' : 'handle'
    return { failed: { step, target: identifier }, url: undefined }
  }
}

/** What a request the OAuth client makes during `authorize()` is for, from its URL. */
export function stepOfRequest(href: string): FailedStep {
  const url = new URL(href)
  const path = safeDecode(url.pathname)
  if (path === '/xrpc/com.atproto.identity.resolveHandle') {
    return { step: 'handle', target: url.searchParams.get('handle') ?? url.origin }
  }
  if (path === '/.well-known/atproto-did') return { step: 'handle', target: url.hostname }
  if (path === '/.well-known/oauth-protected-resource') {
    return { step: 'protected_resource_metadata', target: url.origin }
  }
  if (path === '/.well-known/oauth-authorization-server') {
    return { step: 'authorization_server_metadata', target: url.origin }
  }
  if (path.startsWith('/did:plc:')) return { step: 'did_document', target: path.slice(1) }
  if (path.endsWith('/did.json')) return { step: 'did_document', target: href }
  // Past resolution, `authorize()` only talks to the PAR endpoint.
  return { step: 'authorization_request', target: href }
}

/**
 * Settles with `promise`, or rejects with the signal's reason as soon as it
 * fires, for work that does not listen to the signal itself.
 */
function raceAgainst<T>(signal: AbortSignal, promise: Promise<T>): Promise<T> {
  promise.catch(() => {}) // the loser's rejection must not go unhandled
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    if (signal.aborted) onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function isTimeout(reason: unknown): boolean {
  return reason instanceof Error && reason.name === 'TimeoutError'
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    return path
  }
}
