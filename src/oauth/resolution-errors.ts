// What `login` says when it cannot get from what the person typed to an
// authorization page: handle → DID → DID document → PDS → protected resource
// metadata → authorization server metadata → pushed authorization request.
// The OAuth client reports each step in its own way (an OAuthResolverError
// whose message names the step, wrapping a DidError, a HandleResolverError, a
// fetch error, a ZodError, a SyntaxError…); this turns them into one line that
// names the step and what was being resolved, and a hint. Classes are matched
// by name so that this module does not load the OAuth client.
import { AtoauthError, ExitCode, oneLineMessage } from '../errors.js'

export type ResolutionStep =
  | 'handle'
  | 'did_document'
  | 'pds'
  | 'protected_resource_metadata'
  | 'authorization_server_metadata'
  | 'authorization_request'

/** Completes "Could not … <target>". */
const STEP_ACTIONS: Record<ResolutionStep, string> = {
  handle: 'resolve the handle',
  did_document: 'get the DID document of',
  pds: 'find the PDS of',
  protected_resource_metadata: 'get the OAuth protected resource metadata of the PDS',
  authorization_server_metadata: 'get the OAuth authorization server metadata of',
  authorization_request: 'start the authorization at',
}

export type FailedStep = {
  step: ResolutionStep
  /** The handle, DID or URL that step was working on. */
  target: string
}

/**
 * The error `login` reports when resolving `identifier` failed with `err`, or
 * undefined when `err` is not a resolution failure (left to the caller).
 */
export function resolutionError(err: unknown, identifier: string): AtoauthError | undefined {
  if (!(err instanceof Error) || err instanceof AtoauthError) return undefined
  const failed = failedStep(err, identifier)
  if (!failed) return undefined
  const reason =
    failed.step === 'pds'
      ? 'its DID document has no #atproto_pds service'
      : // Servers like to repeat the DID or URL the message already names.
        describe(err, failed, identifier).replace(`: ${failed.target}`, '').replace(/\.$/, '')
  return new AtoauthError(
    'resolution_failed',
    `Could not ${whatFailed(failed, identifier)}: ${reason}.`,
    {
      hint: hintFor(failed.step, rootCause(err)),
      exitCode: ExitCode.network,
      cause: err,
      details: { ...failed },
    },
  )
}

/** The error for a resolution that got no answer in time. */
export function resolutionTimeoutError(
  failed: FailedStep,
  identifier: string,
  seconds: number,
  url: string | undefined,
): AtoauthError {
  const from = url && url !== failed.target ? ` from ${url}` : ''
  return new AtoauthError(
    'resolution_timeout',
    `Could not ${whatFailed(failed, identifier)}: no answer${from} within ${seconds} s.`,
    {
      hint: 'The server may be down or overloaded: check your network connection and the address, then try again later.',
      exitCode: ExitCode.network,
      details: { ...failed, ...(url ? { url } : {}), seconds },
    },
  )
}

/** "get the DID document of did:plc:… (for alice.example.com)" */
function whatFailed(failed: FailedStep, identifier: string): string {
  const target = withoutSlash(failed.target)
  const forWhom = target === withoutSlash(identifier) ? '' : ` (for ${identifier})`
  return `${STEP_ACTIONS[failed.step]} ${target}${forWhom}`
}

/** Which step failed, from the error the OAuth client threw out of `authorize()`. */
function failedStep(err: Error, identifier: string): FailedStep | undefined {
  const name = err.constructor.name
  if (name === 'DidError' && (err as { code?: unknown }).code === 'did-service-not-found') {
    return { step: 'pds', target: didOf(err) ?? identifier }
  }
  if (name === 'OAuthResolverError') return resolverStep(err, identifier)
  // Past resolution, `authorize()` only talks to the PAR endpoint.
  const url = requestUrlOf(err)
  if (url && (name === 'OAuthResponseError' || name === 'FetchRequestError')) {
    return { step: 'authorization_request', target: url }
  }
  return undefined
}

/** The OAuth client's resolver names the step in the message it wraps each failure with. */
function resolverStep(err: Error, identifier: string): FailedStep {
  // The URL is the first word after the prefix: OAuthResolverError.from()
  // appends the first validation issue to the message, in parentheses.
  const after = (prefix: string) =>
    err.message.startsWith(prefix)
      ? (err.message.slice(prefix.length).trim().split(/\s/)[0] ?? '')
      : undefined

  const resource = after('Failed to resolve OAuth server metadata for resource:')
  if (resource !== undefined)
    return { step: 'protected_resource_metadata', target: withoutSlash(resource) }
  const pds =
    after('No authorization servers found for PDS:') ??
    after('Unable to determine authorization server for PDS:')
  if (pds !== undefined) return { step: 'protected_resource_metadata', target: withoutSlash(pds) }
  const issuer = after('Failed to resolve OAuth server metadata for issuer:')
  if (issuer !== undefined)
    return { step: 'authorization_server_metadata', target: withoutSlash(issuer) }
  const notProtected = /^PDS "(.*)" not protected by issuer "(.*)"$/.exec(err.message)
  if (notProtected) return { step: 'authorization_server_metadata', target: notProtected[2] ?? '' }

  // "Failed to resolve identity: <input>", wrapping the handle or DID failure.
  const cause = err.cause
  if (cause instanceof Error && cause.constructor.name === 'DidError') {
    return { step: 'did_document', target: didOf(cause) ?? identifier }
  }
  if (identifier.startsWith('did:')) return { step: 'did_document', target: identifier }
  return { step: 'handle', target: identifier }
}

/** A short reason for the person, mostly from the innermost cause. */
function describe(err: Error, failed: FailedStep, identifier: string): string {
  const cause = rootCause(err)
  const name = cause.constructor.name
  if (name === 'IdentityResolverError' && /^Invalid handle/.test(cause.message)) {
    // The resolver reads anything that is not an atproto DID as a handle.
    return identifier.startsWith('did:')
      ? 'atoauth can log in with a did:plc, or a did:web without a path (and a port only on localhost)'
      : 'not a valid handle'
  }
  if (name === 'HandleResolverError' && /^Invalid status code/.test(cause.message)) {
    return 'the handle resolver returned no DID for it'
  }
  if (name === 'ZodError') return `invalid document (${oneLineMessage(cause)})`
  if (cause instanceof SyntaxError) return 'the answer is not valid JSON'
  if (name === 'FetchResponseError') {
    const response = (cause as { response?: Response }).response
    if (/^Unexpected content type/.test(cause.message)) {
      const type = response?.headers.get('content-type')?.split(';')[0] || 'no content type'
      return `the answer is ${type}, not JSON`
    }
    const status = `HTTP ${response?.status ?? 'error'}`
    return /^Unexpected status code/.test(cause.message) || !cause.message
      ? `${status} from ${response?.url || 'the server'}`
      : `${oneLineMessage(cause)} (${status})`
  }
  if (name === 'OAuthResolverError') {
    // Thrown without a cause: the metadata parsed, but does not fit atproto.
    if (/^No authorization servers found/.test(cause.message)) {
      return 'its metadata names no authorization server'
    }
    if (/^Unable to determine authorization server/.test(cause.message)) {
      return 'its metadata names more than one authorization server'
    }
    if (/not protected by issuer/.test(cause.message)) {
      return 'its metadata does not list the PDS among the resources it protects'
    }
  }
  if (name === 'IdentityResolverError' && /does not resolve to a DID/.test(cause.message)) {
    return 'no DID found for it'
  }
  const invalidIssuer = /^Invalid issuer (.*)$/.exec(cause.message)
  if (invalidIssuer) {
    const field = failed.step === 'authorization_server_metadata' ? 'issuer' : 'resource'
    return `its ${field} is "${invalidIssuer[1]}", not "${failed.target}"`
  }
  const unreachable = networkFailure(cause)
  if (unreachable) {
    const url = requestUrlOf(err)
    return url && !url.startsWith(failed.target) ? `${unreachable} (${url})` : unreachable
  }
  return oneLineMessage(cause)
}

function hintFor(step: ResolutionStep, cause: Error): string {
  if (networkFailure(cause)) {
    return 'The server may be down, or the address wrong: check your network connection and the address, then try again.'
  }
  switch (step) {
    case 'handle':
      return 'Check the spelling of the handle. You can also log in with your DID, or with the URL of your PDS (atoauth login https://your.pds.example).'
    case 'did_document':
      return 'Check the DID (or the handle it came from), then try again.'
    case 'pds':
      return "The account's DID document must name its PDS: check the DID, or ask whoever hosts the account to fix the document."
    case 'protected_resource_metadata':
      return 'Check that the address is an AT Protocol PDS or entryway that supports OAuth; if it is, the server is misconfigured: try again later or tell its operator.'
    case 'authorization_server_metadata':
      return 'The authorization server is misconfigured: try again later, or tell its operator.'
    case 'authorization_request':
      return 'The authorization server refused to start the sign-in: try again later, or tell its operator.'
  }
}

/** The innermost Error of the cause chain: the one that says what actually went wrong. */
function rootCause(err: unknown): Error {
  let current = err as Error
  while (current.cause instanceof Error) current = current.cause
  return current
}

function networkFailure(err: Error): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code
    if (code === 'ECONNREFUSED') return 'connection refused'
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found'
    if (code === 'ECONNRESET') return 'connection reset'
    if (typeof code === 'string' && code.startsWith('ERR_TLS')) return 'TLS error'
    if (e.constructor.name === 'FetchRequestError') {
      const message = e.message.toLowerCase()
      if (e.cause === undefined || !(e.cause instanceof Error)) return message
    }
  }
  return undefined
}

function requestUrlOf(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const { request, response } = e as { request?: { url?: unknown }; response?: { url?: unknown } }
    const url = request?.url ?? response?.url
    if (typeof url === 'string' && url) return url
  }
  return undefined
}

function didOf(err: Error): string | undefined {
  const did = (err as { did?: unknown }).did
  return typeof did === 'string' ? did : undefined
}

function withoutSlash(url: string): string {
  return url.replace(/\/$/, '')
}
