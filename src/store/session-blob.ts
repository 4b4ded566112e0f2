// The exported session: one versioned JSON document holding everything a
// machine without a keychain (a CI job) needs to act for an account — who it
// is, which client_id the session belongs to, and the saved session itself,
// DPoP private key included. It is a secret.
import type { NodeSavedSession } from '@atproto/oauth-client-node'
import { AtoauthError, ExitCode } from '../errors.js'
import type { AccountIdentity } from './account-index.js'

export const SESSION_BLOB_VERSION = 1

/** Who the account is (the same fields the account index keeps), and its saved session. */
export type SessionBlob = AccountIdentity & {
  /** The format version; a reader refuses versions it does not know. */
  atoauthSession: typeof SESSION_BLOB_VERSION
  session: NodeSavedSession
}

export function toSessionBlob(account: AccountIdentity, session: NodeSavedSession): SessionBlob {
  return {
    atoauthSession: SESSION_BLOB_VERSION,
    did: account.did,
    handle: account.handle,
    pds: account.pds,
    issuer: account.issuer,
    clientId: account.clientId,
    scope: account.scope,
    loginAt: account.loginAt,
    session,
  }
}

export function formatSessionBlob(blob: SessionBlob): string {
  return `${JSON.stringify(blob, null, 2)}\n`
}

/** Parses and checks a blob; `origin` names where it came from, for the message. */
export function parseSessionBlob(text: string, origin: string): SessionBlob {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw invalid(origin, 'it is not JSON')
  }
  if (typeof value !== 'object' || value === null || !('atoauthSession' in value)) {
    throw invalid(origin, 'it is not an atoauth session export')
  }
  const blob = value as Partial<SessionBlob> & { atoauthSession: unknown }
  if (blob.atoauthSession !== SESSION_BLOB_VERSION) {
    throw invalid(
      origin,
      // Only a number is echoed: the document is a secret.
      `it has format version ${typeof blob.atoauthSession === 'number' ? blob.atoauthSession : '(not a number)'}, and this atoauth reads version ${SESSION_BLOB_VERSION}`,
      'Upgrade atoauth, or export the session again with this version.',
    )
  }
  for (const field of ['did', 'handle', 'pds', 'issuer', 'clientId', 'scope', 'loginAt'] as const) {
    if (typeof blob[field] !== 'string' || blob[field] === '') {
      throw invalid(origin, `the "${field}" field is missing`)
    }
  }
  const session = blob.session
  if (
    typeof session?.dpopJwk !== 'object' ||
    typeof session.tokenSet !== 'object' ||
    session.tokenSet?.sub !== blob.did
  ) {
    throw invalid(origin, 'the saved session is missing or belongs to another account')
  }
  return blob as SessionBlob
}

function invalid(origin: string, reason: string, hint?: string): AtoauthError {
  return new AtoauthError('invalid_session', `${origin} cannot be used: ${reason}.`, {
    hint: hint ?? 'Create a new one with: atoauth session create <handle> --out <file>',
    exitCode: ExitCode.usage,
  })
}
