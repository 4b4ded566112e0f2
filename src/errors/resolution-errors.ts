// What `login` says when it cannot get from what the person typed to an
// authorization page: handle → DID → DID document → PDS → protected resource
// metadata → authorization server metadata → pushed authorization request.
// The OAuth client reports each step in its own way; library-errors.ts reads
// which step failed and why, and this says it in one line that names the step
// and what was being resolved, with a hint.
import { AtoauthError, ExitCode } from '../errors.js'
import { resolutionFailure } from './library-errors.js'

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
  const found = resolutionFailure(err, identifier)
  if (!found) return undefined
  const { failed, reason, unreachable } = found
  return new AtoauthError(
    'resolution_failed',
    `Could not ${whatFailed(failed, identifier)}: ${reason}.`,
    {
      hint: hintFor(failed.step, unreachable),
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

function hintFor(step: ResolutionStep, unreachable: boolean): string {
  if (unreachable) {
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

function withoutSlash(url: string): string {
  return url.replace(/\/$/, '')
}
