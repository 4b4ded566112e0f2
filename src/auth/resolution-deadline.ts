// Bounds the time `login` spends before the browser opens (resolving the
// account, the pushed authorization request), so that a server that never
// answers cannot keep it waiting. The OAuth client gives no signal to the PAR
// request, and a handle's DNS lookup cannot be cancelled: so every request goes
// through `fetch` below, which also ends at the deadline and remembers the
// step (to name it when it times out), and the phase is raced too.
import { startDeadline } from '../deadline.js'
import {
  type FailedStep,
  resolutionError,
  resolutionTimeoutError,
} from '../errors/resolution-errors.js'

/** Long enough for a slow network, short enough that nobody wonders whether atoauth hangs. */
export const RESOLUTION_TIMEOUT_SECONDS = 20

export class ResolutionDeadline {
  readonly #seconds: number
  /** Set while the phase runs: every request then also ends at the deadline. */
  #signal: AbortSignal | undefined
  /** The URL of the phase's latest request: the step it was at. */
  #latest: string | undefined

  /** The client_id the login uses: an authorization server's refusal of its document names it. */
  readonly #clientId: string | undefined

  constructor(seconds = RESOLUTION_TIMEOUT_SECONDS, clientId?: string) {
    this.#seconds = seconds
    this.#clientId = clientId
  }

  /** The fetch to give the OAuth client. Outside the phase it is plain `fetch`. */
  readonly fetch = (input: string | URL | Request, init?: RequestInit) => {
    const deadline = this.#signal
    if (!deadline) return globalThis.fetch(input, init)
    const own = init?.signal ?? (input instanceof Request ? input.signal : undefined)
    this.#latest = input instanceof Request ? input.url : String(input)
    const signal = own ? AbortSignal.any([own, deadline]) : deadline
    return globalThis.fetch(input, { ...init, signal })
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
    // Rejects when the deadline fires, naming the step before the aborted requests unwind.
    const stopped = new Promise<never>((_, reject) => {
      bounded.addEventListener('abort', () => {
        if ((bounded.reason as Error | undefined)?.name !== 'TimeoutError') {
          return reject(bounded.reason)
        }
        const seconds = Math.round((performance.now() - started) / 1000)
        const failed = this.#step(identifier)
        reject(resolutionTimeoutError(failed, identifier, seconds, this.#latest))
      })
    })
    this.#signal = bounded
    try {
      bounded.throwIfAborted()
      // Raced, for work that does not listen to the signal (a DNS lookup…).
      return await Promise.race([phase(bounded), stopped])
    } catch (err) {
      if (bounded.aborted) throw err
      throw resolutionError(err, identifier, this.#clientId) ?? err
    } finally {
      deadline.clear()
      this.#signal = undefined
    }
  }

  /** The step being worked on: that of the latest request, if any. */
  #step(identifier: string): FailedStep {
    if (this.#latest) return stepOfRequest(this.#latest)
    // No request yet: a handle's DNS lookup, or a DID the resolver is about to fetch.
    return { step: identifier.startsWith('did:') ? 'did_document' : 'handle', target: identifier }
  }
}

/** What a request the OAuth client makes during `authorize()` is for, from its URL. */
export function stepOfRequest(href: string): FailedStep {
  const url = new URL(href)
  const path = url.pathname.replace(/%3A/gi, ':')
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
