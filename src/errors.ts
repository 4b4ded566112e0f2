// Every failure atoauth reports is an AtoauthError (stable code, one-line message, hint, exit
// code): toAtoauthError and errors/library-errors.ts turn anything else into one.
import { accountWord, suggestCommand } from './errors/suggested-command.js'

/** The exit codes scripts may rely on. Documented in the README; keep them stable. */
export const ExitCode = {
  ok: 0,
  error: 1,
  usage: 2,
  authRequired: 3,
  network: 4,
  storageUnavailable: 5,
  /** SIGHUP: the terminal went away. */
  hangup: 129,
  /** Ctrl-C (SIGINT). */
  cancelled: 130,
  /** SIGTERM: a service manager or CI runner stopped atoauth. */
  terminated: 143,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export class AtoauthError extends Error {
  override readonly name = 'AtoauthError'
  readonly code: string
  readonly hint: string | undefined
  readonly exitCode: ExitCodeValue
  /** Extra machine-readable fields for the --json error envelope (e.g. an HTTP status). */
  readonly details: Record<string, unknown> | undefined

  constructor(
    code: string,
    message: string,
    options: Partial<Pick<AtoauthError, 'hint' | 'exitCode' | 'details' | 'cause'>> = {},
  ) {
    super(message, { cause: options.cause })
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
    const message = `The session for ${handleOrDid} has ended: ${reason.replace(/\.$/, '')}.`
    const hint = suggestCommand`Log in again: atoauth login ${accountWord(handleOrDid)}`
    super('session_ended', message, { hint, exitCode: ExitCode.authRequired, cause })
  }
}

export class NetworkError extends AtoauthError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super('network', message, { hint, exitCode: ExitCode.network, cause })
  }
}

export class StorageUnavailableError extends AtoauthError {
  /** `reason` (no D-Bus, locked, …) is for scripts; `hint` names its fix. */
  constructor(message: string, options: { cause?: unknown; hint?: string; reason?: string } = {}) {
    super('keychain_unavailable', message, {
      hint:
        options.hint ??
        `${process.platform === 'linux' ? 'Install and unlock a keyring (gnome-keyring, or KeePassXC with the Secret Service enabled)' : 'Make sure the system keychain is available and unlocked'}, ` +
          'or opt into plaintext storage with --insecure-storage (or ATOAUTH_STORE=file).',
      exitCode: ExitCode.storageUnavailable,
      cause: options.cause,
      details: options.reason ? { reason: options.reason } : undefined,
    })
  }
}

export class CancelledError extends AtoauthError {
  /** `exitCode`: the signal's (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP). */
  constructor(message = 'Cancelled.', exitCode: ExitCodeValue = ExitCode.cancelled) {
    super('cancelled', message, { exitCode })
  }
}

/** A short, single-line description of an unknown thrown value. */
export function describeCause(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describeCause(err.errors[0])
  if (!(err instanceof Error)) return oneLine(String(err))
  const message = oneLineMessage(err)
  const cause = err.cause instanceof Error ? oneLineMessage(err.cause) : undefined
  return cause && !message.includes(cause) ? `${message} (${cause})` : message
}

/** An error's message on one line; a ZodError's (its issues as JSON) as "path: message" pairs. */
export function oneLineMessage(err: Error): string {
  const issues = (err as { issues?: { path?: unknown[]; message: string }[] }).issues
  if (!Array.isArray(issues) || issues.length === 0) return oneLine(err.message || err.name)
  return issues
    .slice(0, 3)
    .map((issue) => `${issue.path?.join('.') || 'value'}: ${issue.message}`)
    .join('; ')
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > 300 ? `${line.slice(0, 299)}…` : line
}

/** An XRPC error fails that one request (exit 4), a 401 too: the library says if a session ended. */
export function xrpcRequestError(
  request: string,
  response: { status: number; error: string; message?: string | undefined },
  cause?: unknown,
): AtoauthError {
  const { status, error, message } = response
  // The server's words on one line (a newline in them could pass for a line of atoauth's own);
  // --json keeps them exact in xrpcError and xrpcMessage.
  const said = oneLine(`${request} failed: ${status} ${error}${message ? `: ${message}` : ''}`)
  const refused = 'The session is still valid: the server refused this request for this account.'
  return new AtoauthError('xrpc_error', said, {
    exitCode: ExitCode.network,
    hint: status === 401 || status === 403 ? refused : undefined,
    cause,
    details: { status, xrpcError: error, ...(message ? { xrpcMessage: message } : {}) },
  })
}

/** Without loading a library: its errors are 'internal' here (library-errors.ts knows them). */
export function toAtoauthError(err: unknown): AtoauthError {
  if (err instanceof AtoauthError) return err
  const message = describeCause(err)
  if (!networkFailure(err)) {
    return new AtoauthError('internal', message || 'An unexpected error occurred.', { cause: err })
  }
  const hint = 'Check your network connection and the server address, then try again.'
  return new NetworkError(`Could not reach the server: ${message}`, hint, err)
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
    const code = String((e as { code?: unknown }).code)
    if (NETWORK_CODES[code]) return NETWORK_CODES[code]
    if (code.startsWith('ERR_TLS')) return 'TLS error'
    if (e.name === 'TimeoutError') return 'timed out'
    // undici's own failures, whatever their cause.
    if (e instanceof TypeError && e.message === 'fetch failed') failed = 'fetch failed'
  }
  return failed
}

/** A new session that could not be kept, for `why`: it was revoked at the server. */
export function sessionNotKept(why: unknown, cause?: unknown): AtoauthError {
  const said = describeCause(why).replace(/\.$/, '')
  const message = `Could not save the session (${said}); the new session was revoked at the server.`
  if (!(why instanceof AtoauthError)) {
    return new AtoauthError('store_failed', message, {
      exitCode: ExitCode.storageUnavailable,
      cause,
    })
  }
  const { code, hint, exitCode, details } = why
  return new AtoauthError(code, message, { hint, exitCode, details, cause })
}
