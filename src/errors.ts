// Every failure atoauth reports is an AtoauthError: a stable machine-readable
// code for scripts, a one-line message, a hint telling the person what to do
// next, and the documented exit code. Anything else that escapes a command is
// turned into one by `toAtoauthError`, so no "Error: undefined" reaches a user.
import { isSessionEnd, sessionEndReason } from './oauth/session-end.js'

/** The exit codes scripts may rely on. Documented in the README; keep them stable. */
export const ExitCode = {
  ok: 0,
  error: 1,
  usage: 2,
  authRequired: 3,
  network: 4,
  storageUnavailable: 5,
  cancelled: 130,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export type AtoauthErrorOptions = {
  hint?: string
  exitCode?: ExitCodeValue
  cause?: unknown
  /** Extra machine-readable fields for the --json error envelope (e.g. an HTTP status). */
  details?: Record<string, unknown>
}

export class AtoauthError extends Error {
  readonly code: string
  readonly hint: string | undefined
  readonly exitCode: ExitCodeValue
  readonly details: Record<string, unknown> | undefined

  constructor(code: string, message: string, options: AtoauthErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'AtoauthError'
    this.code = code
    this.hint = options.hint
    this.exitCode = options.exitCode ?? ExitCode.error
    this.details = options.details
  }
}

export class UsageError extends AtoauthError {
  constructor(message: string, hint?: string) {
    super('usage', message, { hint, exitCode: ExitCode.usage })
  }
}

export class NotLoggedInError extends AtoauthError {
  constructor(message = 'You are not logged in.', hint = 'Log in with: atoauth login <handle>') {
    super('not_logged_in', message, { hint, exitCode: ExitCode.authRequired })
  }
}

export class SessionEndedError extends AtoauthError {
  constructor(handleOrDid: string, reason: string, cause?: unknown) {
    super(
      'session_ended',
      `The session for ${handleOrDid} has ended: ${reason.replace(/\.$/, '')}.`,
      {
        hint: `Log in again: atoauth login ${handleOrDid}`,
        exitCode: ExitCode.authRequired,
        cause,
      },
    )
  }
}

export class NetworkError extends AtoauthError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super('network', message, { hint, exitCode: ExitCode.network, cause })
  }
}

export class StorageUnavailableError extends AtoauthError {
  /**
   * `reason` says which trouble it is (no D-Bus, locked, …) for scripts; the
   * hint should name the fix for that trouble.
   */
  constructor(message: string, options: { cause?: unknown; hint?: string; reason?: string } = {}) {
    super('keychain_unavailable', message, {
      hint:
        options.hint ??
        'Install and unlock a keyring (on Linux: gnome-keyring or KeePassXC with the Secret Service enabled), ' +
          'or opt into plaintext storage with --insecure-storage (or ATOAUTH_STORE=file).',
      exitCode: ExitCode.storageUnavailable,
      cause: options.cause,
      details: options.reason ? { reason: options.reason } : undefined,
    })
  }
}

export class CancelledError extends AtoauthError {
  constructor(message = 'Cancelled.') {
    super('cancelled', message, { exitCode: ExitCode.cancelled })
  }
}

/** A short, single-line description of an unknown thrown value. */
export function describeCause(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    return describeCause(err.errors[0])
  }
  if (err instanceof Error) {
    const message = oneLineMessage(err)
    const cause = err.cause instanceof Error ? oneLineMessage(err.cause) : undefined
    return cause && !message.includes(cause) ? `${message} (${cause})` : message
  }
  return oneLine(String(err))
}

/**
 * An error's message on one line. A ZodError's message is its issues as
 * pretty-printed JSON: those become "path: message" pairs.
 */
export function oneLineMessage(err: Error): string {
  const issues = (err as { issues?: unknown }).issues
  if (Array.isArray(issues) && issues.length > 0) {
    return issues
      .slice(0, 3)
      .map((issue: { path?: unknown[]; message?: unknown }) => {
        const path = Array.isArray(issue.path) ? issue.path.join('.') : ''
        return `${path || 'value'}: ${String(issue.message)}`
      })
      .join('; ')
  }
  return oneLine(err.message || err.name)
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > 300 ? `${line.slice(0, 299)}…` : line
}

/**
 * Maps errors thrown by the OAuth client, XRPC calls and Node itself onto the
 * exit code contract. Matching is by class name so that this module does not
 * import the (heavy) libraries those classes live in.
 */
export function toAtoauthError(err: unknown, actingFor?: { handle: string }): AtoauthError {
  if (err instanceof AtoauthError) return err
  const name = err instanceof Error ? err.constructor.name : ''
  const message = describeCause(err)
  const ended = (reason: string) =>
    actingFor
      ? new SessionEndedError(actingFor.handle, reason, err)
      : new AtoauthError('session_ended', `The session has ended: ${reason}.`, {
          hint: 'Log in again: atoauth login <handle>',
          exitCode: ExitCode.authRequired,
          cause: err,
        })

  if (isSessionEnd(err)) return ended(sessionEndReason(err))
  switch (name) {
    case 'OAuthResolverError':
    case 'HandleResolverError':
    case 'DidError':
      return new NetworkError(
        `Could not resolve the account: ${message}`,
        'Check the handle, DID or URL, and your network connection, then try again.',
        err,
      )
    case 'OAuthResponseError':
      return new NetworkError(
        `The authorization server refused the request: ${message}`,
        undefined,
        err,
      )
  }
  if (inheritsFrom(err, 'XRPCError')) {
    // The library already tried a refresh before handing back a 401.
    const status = (err as { status?: unknown }).status
    if (status === 401) return ended(`the server no longer accepts it (${message})`)
    return new NetworkError(`The server refused the request: ${message}`, undefined, err)
  }
  if (isNetworkFailure(err)) {
    return new NetworkError(
      `Could not reach the server: ${message}`,
      'Check your network connection and the server address, then try again.',
      err,
    )
  }
  return new AtoauthError('internal', message || 'An unexpected error occurred.', { cause: err })
}

/**
 * Whether a class of that name is in the error's prototype chain: the XRPC
 * client throws subclasses (one per lexicon error) of XRPCError.
 */
function inheritsFrom(err: unknown, className: string): boolean {
  for (let proto = Object.getPrototypeOf(err); proto; proto = Object.getPrototypeOf(proto)) {
    if (proto.constructor?.name === className) return true
  }
  return false
}

function isNetworkFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  if (err.name === 'TimeoutError' || err.name === 'FetchRequestError') return true
  if (err instanceof TypeError && err.message === 'fetch failed') return true
  const code = (err as { code?: unknown }).code
  return (
    typeof code === 'string' &&
    ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT'].includes(code)
  )
}
