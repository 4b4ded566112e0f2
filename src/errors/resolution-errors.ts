// What `login` says when it cannot get from what the person typed to an authorization page (handle
// → DID → DID document → PDS → OAuth metadata → pushed authorization request): one line naming the
// step and what it was resolving, why (mostly from the innermost cause), and a hint.
import {
  DidError,
  FetchRequestError,
  FetchResponseError,
  OAuthResolverError,
  OAuthResponseError,
  ValidationError,
} from '@atproto/oauth-client-node'
import { AtoauthError, ExitCode, networkFailure, oneLineMessage } from '../errors.js'
import { isLibraryError, MESSAGES } from './library-errors.js'

/** Per step: how "Could not … <target>" goes on, and the hint when a server answered wrongly. */
const STEPS = {
  handle: [
    'resolve the handle',
    'Check the spelling of the handle. You can also log in with your DID, or with the URL of your PDS (atoauth login https://your.pds.example).',
  ],
  did_document: [
    'get the DID document of',
    'Check the DID (or the handle it came from), then try again.',
  ],
  pds: [
    'find the PDS of',
    "The account's DID document must name its PDS: check the DID, or ask whoever hosts the account to fix the document.",
  ],
  protected_resource_metadata: [
    'get the OAuth protected resource metadata of the PDS',
    'Check that the address is an AT Protocol PDS or entryway that supports OAuth; if it is, the server is misconfigured: try again later or tell its operator.',
  ],
  authorization_server_metadata: [
    'get the OAuth authorization server metadata of',
    'The authorization server is misconfigured: try again later, or tell its operator.',
  ],
  authorization_request: [
    'start the authorization at',
    'The authorization server refused to start the sign-in: try again later, or tell its operator. If it is fetching a client metadata document that is not published, log in with --dev-client.',
  ],
} as const

/** A step, and the handle, DID or URL it was working on. */
export type FailedStep = { step: keyof typeof STEPS; target: string }

/** What the innermost cause says, in words a person can act on. */
const REASONS = Object.entries({
  [MESSAGES.handleWithoutDid]: 'no DID found for it',
  [MESSAGES.resolverGaveNoDid]: 'the handle resolver returned no DID for it',
  // Thrown without a cause: the metadata parsed, but does not fit atproto.
  [MESSAGES.noAuthorizationServer]: 'its metadata names no authorization server',
  [MESSAGES.manyAuthorizationServers]: 'its metadata names more than one authorization server',
  [MESSAGES.notProtectedByIssuer]:
    'its metadata does not list the PDS among the resources it protects',
})

/** The steps the OAuth client's resolver names, by the message it wraps each failure with. */
const RESOLVER_STEPS: [string, FailedStep['step']][] = [
  [MESSAGES.resourceMetadataFailed, 'protected_resource_metadata'],
  [MESSAGES.noAuthorizationServer, 'protected_resource_metadata'],
  [MESSAGES.manyAuthorizationServers, 'protected_resource_metadata'],
  [MESSAGES.issuerMetadataFailed, 'authorization_server_metadata'],
]

/** Why resolving `identifier` failed with `err`; undefined when it is no resolution failure. */
export function resolutionError(
  err: unknown,
  identifier: string,
  clientId?: string,
): AtoauthError | undefined {
  if (err instanceof OAuthResponseError && err.error === 'invalid_scope') return scopeRefused(err)
  if (err instanceof OAuthResponseError && err.error === 'invalid_client_metadata') {
    return clientMetadataRefused(err, clientId)
  }
  const failed = isLibraryError(err) ? failedStep(err, identifier) : undefined
  if (!failed) return undefined
  // Servers like to repeat the DID or URL the message already names.
  const reason = describe(err as Error, failed, identifier).replace(`: ${failed.target}`, '')
  const hint = unreachable(err as Error)
    ? 'The server may be down, or the address wrong: check your network connection and the address, then try again.'
    : STEPS[failed.step][1]
  const message = `Could not ${whatFailed(failed, identifier)}: ${reason.replace(/\.$/, '')}.`
  const options = { hint, exitCode: ExitCode.network, cause: err, details: failed }
  return new AtoauthError('resolution_failed', message, options)
}

/** The authorization server's words for a refusal, on one line, without a closing full stop. */
function serverDescription(err: OAuthResponseError): string {
  return (err.errorDescription ?? err.error ?? '').replace(/\s+/g, ' ').trim().replace(/\.$/, '')
}

/**
 * The authorization server refused the scope the login asked for: most often one its client
 * metadata does not declare (servers compare scopes as exact strings).
 */
function scopeRefused(err: OAuthResponseError): AtoauthError {
  const said = serverDescription(err)
  const undeclared = /is not declared in the client metadata/.test(said)
  return new AtoauthError('scope_refused', `The authorization server refused the scope: ${said}.`, {
    hint: undeclared
      ? 'The client metadata document must declare every scope a login asks for. Log in with --dev-client (its client_id declares any scope), or host your own document (atoauth client-metadata --client-id <url> --scope …) and log in with --client-id <url>.'
      : 'Ask for a preset (--scope full, post, delete, read) or check the scope against the atproto permission syntax.',
    exitCode: ExitCode.usage,
    cause: err,
    details: { error: err.error, description: said },
  })
}

/**
 * The authorization server could not fetch the client metadata document (not published yet, a
 * typo, a host it cannot reach), or found it invalid. Its description names the client_id.
 */
function clientMetadataRefused(err: OAuthResponseError, clientId = 'the client_id'): AtoauthError {
  const said = serverDescription(err)
  const unavailable = /^Unable to obtain client metadata/.test(said)
  const message = unavailable
    ? `The authorization server could not fetch the client metadata document at ${clientId} (${said}).`
    : `The authorization server refused the client metadata document at ${clientId}: ${said}.`
  return new AtoauthError(
    unavailable ? 'client_metadata_unavailable' : 'client_metadata_invalid',
    message,
    {
      hint: unavailable
        ? 'Publish the document at that URL (atoauth client-metadata prints it) or check the URL, or log in with --dev-client, which needs no hosted document. atoauth doctor checks the document as the server fetches it.'
        : 'Regenerate it with atoauth client-metadata and publish it again, or log in with --dev-client. atoauth doctor checks the document.',
      exitCode: ExitCode.error,
      cause: err,
      details: { error: err.error, description: said },
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
  const message = `Could not ${whatFailed(failed, identifier)}: no answer${from} within ${seconds} s.`
  return new AtoauthError('resolution_timeout', message, {
    hint: 'The server may be down or overloaded: check your network connection and the address, then try again later.',
    exitCode: ExitCode.network,
    details: { ...failed, ...(url ? { url } : {}), seconds },
  })
}

/** "get the DID document of did:plc:… (for alice.example.com)" */
function whatFailed({ step, target }: FailedStep, identifier: string): string {
  const [named, typed] = [target, identifier].map((text) => text.replace(/\/$/, ''))
  return `${STEPS[step][0]} ${named}${named === typed ? '' : ` (for ${identifier})`}`
}

function failedStep(err: Error, identifier: string): FailedStep | undefined {
  if (err instanceof DidError && err.code === 'did-service-not-found') {
    return { step: 'pds', target: err.did }
  }
  if (!(err instanceof OAuthResolverError)) {
    // Past resolution, `authorize()` only talks to the PAR endpoint.
    const url = requestUrlOf(err)
    const atPar = url && (err instanceof OAuthResponseError || err instanceof FetchRequestError)
    return atPar ? { step: 'authorization_request', target: url } : undefined
  }
  const named = RESOLVER_STEPS.find(([prefix]) => err.message.startsWith(prefix))
  if (named) {
    // The URL is the first word after the prefix: OAuthResolverError.from()
    // appends the first validation issue to the message, in parentheses.
    const [url = ''] = err.message.slice(named[0].length).trim().split(/\s/)
    return { step: named[1], target: url.replace(/\/$/, '') }
  }
  if (err.message.includes(MESSAGES.notProtectedByIssuer)) {
    // PDS "<url>" not protected by issuer "<issuer>"
    return { step: 'authorization_server_metadata', target: err.message.split('"').at(-2) ?? '' }
  }
  // "Failed to resolve identity: <input>", wrapping the handle or DID failure.
  if (err.cause instanceof DidError) return { step: 'did_document', target: err.cause.did }
  return { step: identifier.startsWith('did:') ? 'did_document' : 'handle', target: identifier }
}

/** A short reason for the person, mostly from the innermost cause. */
function describe(err: Error, failed: FailedStep, identifier: string): string {
  if (failed.step === 'pds') return 'its DID document has no #atproto_pds service'
  const cause = rootCause(err)
  const known = REASONS.find(([text]) => cause.message.includes(text))
  if (known) return known[1]
  if (cause.message.includes(MESSAGES.invalidHandle)) {
    // The identity resolver reads anything that is not an atproto DID as a handle.
    return identifier.startsWith('did:')
      ? 'atoauth can log in with a did:plc, or a did:web without a path (and a port only on localhost)'
      : 'not a valid handle'
  }
  if (cause instanceof ValidationError) return `invalid document (${oneLineMessage(cause)})`
  if (cause instanceof SyntaxError) return 'the answer is not valid JSON'
  if (cause instanceof FetchResponseError) {
    const { response } = cause
    if (cause.message.includes(MESSAGES.unexpectedContentType)) {
      const type = response.headers.get('content-type')?.split(';')[0] || 'no content type'
      return `the answer is ${type}, not JSON`
    }
    const status = `HTTP ${response.status}`
    return cause.message.includes(MESSAGES.unexpectedStatus) || !cause.message
      ? `${status} from ${response.url || 'the server'}`
      : `${oneLineMessage(cause)} (${status})`
  }
  if (cause.message.startsWith(MESSAGES.invalidIssuer)) {
    const field = failed.step === 'authorization_server_metadata' ? 'issuer' : 'resource'
    const named = cause.message.slice(MESSAGES.invalidIssuer.length)
    return `its ${field} is "${named}", not "${failed.target}"`
  }
  const why = unreachable(cause)
  if (!why) return oneLineMessage(cause)
  const url = requestUrlOf(err)
  return url && !url.startsWith(failed.target) ? `${why} (${url})` : why
}

/** No answer at all: a network failure, or a request refused before it was sent (SSRF checks…). */
function unreachable(err: Error): string | undefined {
  const root = rootCause(err)
  const refused = root instanceof FetchRequestError ? root.message.toLowerCase() : undefined
  return networkFailure(err) ?? refused
}

/** The innermost Error of the cause chain: the one that says what actually went wrong. */
function rootCause(err: Error): Error {
  let current = err
  while (current.cause instanceof Error) current = current.cause
  return current
}

function requestUrlOf(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof FetchRequestError) return e.request.url
    const { response } = e instanceof FetchResponseError || e instanceof OAuthResponseError ? e : {}
    if (response?.url) return response.url
  }
  return undefined
}
