// Every failure atoauth reports is an AtoauthError: a stable machine-readable
// code for scripts, a one-line message, a hint telling the person what to do
// next, and the documented exit code. Anything else that escapes a command is
// turned into one by `toAtoauthError` (or, for the libraries' errors, by
// errors/library-errors.ts), so no "Error: undefined" reaches a user.

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
 * A request the server answered with an XRPC error: that request failed (exit
 * 4), whatever the status. A 401 included: when the OAuth library ends a
 * session it says so with errors of its own (library-errors.ts).
 */
export function xrpcRequestError(
  request: string,
  response: { status: number; error: string; message?: string | undefined },
  cause?: unknown,
): AtoauthError {
  const { status, error, message } = response
  return new AtoauthError(
    'xrpc_error',
    `${request} failed: ${status} ${error}${message ? `: ${message}` : ''}`,
    {
      exitCode: ExitCode.network,
      hint:
        status === 401 || status === 403
          ? 'The session is still valid: the server refused this request for this account.'
          : undefined,
      cause,
      details: { status, xrpcError: error, ...(message ? { xrpcMessage: message } : {}) },
    },
  )
}

/**
 * Maps what escapes a command onto the exit code contract, as far as it can
 * without loading a library: errors of the OAuth client and XRPC calls come
 * out as 'internal' here; errors/library-errors.ts knows them.
 */
export function toAtoauthError(err: unknown): AtoauthError {
  if (err instanceof AtoauthError) return err
  const message = describeCause(err)
  if (networkFailure(err)) {
    return new NetworkError(
      `Could not reach the server: ${message}`,
      'Check your network connection and the server address, then try again.',
      err,
    )
  }
  return new AtoauthError('internal', message || 'An unexpected error occurred.', { cause: err })
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  UND_ERR_SOCKET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ETIMEDOUT: 'timed out',
  UND_ERR_CONNECT_TIMEOUT: 'timed out',
}

/** A few words on how reaching a server failed, when `err` or a cause of it is a Node network failure. */
export function networkFailure(err: unknown): string | undefined {
  let failed: string | undefined
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && NETWORK_CODES[code]) return NETWORK_CODES[code]
    if (typeof code === 'string' && code.startsWith('ERR_TLS')) return 'TLS error'
    if (e.name === 'TimeoutError') return 'timed out'
    // undici's own failures, whatever their cause.
    if (e instanceof TypeError && e.message === 'fetch failed') failed = 'fetch failed'
  }
  return failed
}
