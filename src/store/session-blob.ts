// The exported session: one versioned JSON document with all a machine without a keychain (a CI
// job) needs to act for an account: who it is, its client_id, the saved session with its DPoP
// private key. It is a secret.
import type { NodeSavedSession } from '@atproto/oauth-client-node'
import { AtoauthError, ExitCode } from '../errors.js'
import { type AccountIdentity, identityOf } from './account-index.js'
import { parseJson } from './parse-json.js'
import { isSavedSession } from './session-store.js'

const SESSION_BLOB_VERSION = 1

export type SessionBlob = AccountIdentity & {
  /** The format version; a reader refuses versions it does not know. */
  atoauthSession: typeof SESSION_BLOB_VERSION
  session: NodeSavedSession
}

export function toSessionBlob(account: AccountIdentity, session: NodeSavedSession): SessionBlob {
  return { atoauthSession: SESSION_BLOB_VERSION, ...identityOf(account), session }
}

export function formatSessionBlob(blob: SessionBlob): string {
  return `${JSON.stringify(blob, null, 2)}\n`
}

/** Parses and checks a blob; `origin` names where it came from, for the message. */
export function parseSessionBlob(text: string, origin: string): SessionBlob {
  const blob = parseJson(text) as (Partial<SessionBlob> & { atoauthSession: unknown }) | undefined
  if (blob === undefined) throw invalid(origin, 'it is not JSON')
  if (typeof blob !== 'object' || blob === null || !('atoauthSession' in blob)) {
    throw invalid(origin, 'it is not an atoauth session export')
  }
  if (blob.atoauthSession !== SESSION_BLOB_VERSION) {
    // Only a number is echoed: the document is a secret.
    const version = typeof blob.atoauthSession === 'number' ? blob.atoauthSession : '(not a number)'
    throw invalid(
      origin,
      `it has format version ${version}, and this atoauth reads version ${SESSION_BLOB_VERSION}`,
      'Upgrade atoauth, or export the session again with this version.',
    )
  }
  for (const [field, value] of Object.entries(identityOf(blob as AccountIdentity))) {
    if (typeof value !== 'string' || value === '') {
      throw invalid(origin, `the "${field}" field is missing`)
    }
  }
  if (!isSavedSession(blob.session) || blob.session.tokenSet.sub !== blob.did) {
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
