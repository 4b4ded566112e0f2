// What atoauth makes of the libraries' errors, with the real classes of the
// installed libraries, and the library and server messages it reads pinned
// to the installed code: an upgrade that changes them fails here.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import {
  DidError,
  OAuthCallbackError,
  OAuthResolverError,
  OAuthResponseError,
  TokenInvalidError,
  TokenRefreshError,
  TokenRevokedError,
} from '@atproto/oauth-client-node'
import { IdentityResolverError } from '@atproto-labs/identity-resolver'
import { describe, expect, it } from 'vitest'
import {
  fromLibraryError,
  isRevokedByRequest,
  isSessionEnd,
  MESSAGES,
  sessionEndReason,
} from '../../src/errors/library-errors.ts'
import { resolutionError } from '../../src/errors/resolution-errors.ts'
import { ExitCode, StorageUnavailableError, toAtoauthError } from '../../src/errors.ts'

const DID = 'did:plc:alice'
const alice = { handle: 'alice.test' }

/** The installed copy of `name`, as Node finds it from `from` (a package directory). */
function packageDir(name: string, from = process.cwd()): string {
  for (let dir = from; dirname(dir) !== dir; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
  }
  throw new Error(`${name} is not installed`)
}

function sourcesOf(dir: string): string {
  return readdirSync(join(dir, 'dist'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.js'))
    .map((file) => readFileSync(join(dir, 'dist', file), 'utf8'))
    .join('\n')
}

const oauthClient = packageDir('@atproto/oauth-client', packageDir('@atproto/oauth-client-node'))
const SOURCES = {
  server: packageDir('@atproto/oauth-provider', packageDir('@atproto/pds')),
  client: oauthClient,
  handleResolver: packageDir('@atproto-labs/handle-resolver', oauthClient),
  identityResolver: packageDir('@atproto-labs/identity-resolver', oauthClient),
}
const WRITTEN_BY: Record<keyof typeof MESSAGES, keyof typeof SOURCES> = {
  refreshReplayed: 'server',
  sessionExpired: 'server',
  refreshExpired: 'server',
  refreshUnknown: 'server',
  deletedElsewhere: 'client',
  resourceMetadataFailed: 'client',
  issuerMetadataFailed: 'client',
  noAuthorizationServer: 'client',
  manyAuthorizationServers: 'client',
  notProtectedByIssuer: 'client',
  unexpectedStatus: 'client',
  unexpectedContentType: 'client',
  invalidIssuer: 'client',
  resolverGaveNoDid: 'handleResolver',
  invalidHandle: 'identityResolver',
  handleWithoutDid: 'identityResolver',
}

describe('the messages atoauth reads', () => {
  const sources = new Map<string, string>()
  it.each(Object.entries(WRITTEN_BY))('%s is still written by the installed %s', (key, by) => {
    const dir = SOURCES[by as keyof typeof SOURCES]
    if (!sources.has(dir)) sources.set(dir, sourcesOf(dir))
    expect(sources.get(dir)).toContain(MESSAGES[key as keyof typeof MESSAGES])
  })
})

/** What the OAuth client throws when the authorization server refuses a refresh. */
function refusedRefresh(description: string): TokenRefreshError {
  const response = new Response(null, { status: 400 })
  const refusal = new OAuthResponseError(response, {
    error: 'invalid_grant',
    error_description: description,
  })
  return new TokenRefreshError(DID, description, { cause: refusal })
}

describe('a session the library reports as gone ends it (exit 3, log in again)', () => {
  it.each([
    [refusedRefresh(MESSAGES.refreshReplayed), /refresh token was used twice/],
    [refusedRefresh(MESSAGES.sessionExpired), /14-day limit/],
    [refusedRefresh(MESSAGES.refreshExpired), /not used for too long/],
    [refusedRefresh(MESSAGES.refreshUnknown), /no longer knows it/],
    [new TokenRefreshError(DID, MESSAGES.deletedElsewhere), /no longer in the session store/],
    [new TokenRevokedError(DID), /it was revoked/],
    [new TokenInvalidError(DID), /PDS no longer accepts it/],
  ])('%s', (err, reason) => {
    expect(isSessionEnd(err)).toBe(true)
    const ended = fromLibraryError(err, alice)
    expect(ended).toMatchObject({
      code: 'session_ended',
      exitCode: ExitCode.authRequired,
      hint: 'Log in again: atoauth login alice.test',
    })
    expect(ended?.message).toMatch(/^The session for alice\.test has ended: /)
    expect(ended?.message).toMatch(reason)
  })

  it('names the DID when the account is not known', () => {
    expect(fromLibraryError(new TokenInvalidError(DID))?.hint).toBe(
      `Log in again: atoauth login ${DID}`,
    )
  })

  it('keeps an unknown server reason, as the server said it', () => {
    expect(sessionEndReason(refusedRefresh('Something new.'))).toBe('Something new')
  })

  it('tells a revocation atoauth asked for (logout) from one it did not', () => {
    expect(isRevokedByRequest(new TokenRevokedError(DID))).toBe(true)
    expect(isRevokedByRequest(refusedRefresh(MESSAGES.refreshUnknown))).toBe(false)
  })
})

describe('what is not a library error', () => {
  it('toAtoauthError does not read library errors: the cli asks library-errors.ts', () => {
    expect(toAtoauthError(new TokenRevokedError(DID)).code).toBe('internal')
  })
})

describe('a failed callback', () => {
  const params = (entries: Record<string, string>) =>
    new URLSearchParams({ state: 'state-1', iss: 'https://as.test', ...entries })

  it('a denial in the browser is access_denied', () => {
    const err = new OAuthCallbackError(params({ error: 'access_denied', error_description: 'no' }))
    expect(fromLibraryError(err)).toMatchObject({
      code: 'access_denied',
      exitCode: ExitCode.error,
      message: 'The authorization was denied in the browser (no).',
    })
  })

  it("any other error is authorization_failed with the server's error and description", () => {
    const err = new OAuthCallbackError(
      params({ error: 'invalid_scope', error_description: 'Scope not allowed' }),
    )
    expect(fromLibraryError(err)).toMatchObject({
      code: 'authorization_failed',
      message: 'The authorization failed ("invalid_scope": Scope not allowed).',
      details: { error: 'invalid_scope', description: 'Scope not allowed' },
    })
  })

  it('a session that could not be stored says so, with the store error and exit code', () => {
    const store = new StorageUnavailableError('The keyring is locked.')
    const failed = new AggregateError([store], `Failed to store session for ${DID}`)
    const err = OAuthCallbackError.from(failed, params({ code: 'code-1' }))
    const reported = fromLibraryError(err)
    expect(reported).toMatchObject({ code: 'keychain_unavailable', exitCode: 5, hint: store.hint })
    expect(reported?.message).toBe(
      'Could not save the session (The keyring is locked); the new session was revoked at the server.',
    )
  })

  it('anything not from the libraries is left to toAtoauthError', () => {
    expect(fromLibraryError(new Error('x'))).toBeUndefined()
  })
})

describe('resolution failures', () => {
  it('a DID document without a PDS', () => {
    const err = new DidError(DID, 'no PDS', 'did-service-not-found')
    expect(resolutionError(err, 'alice.test')).toMatchObject({
      details: { step: 'pds', target: DID },
      message: `Could not find the PDS of ${DID} (for alice.test): its DID document has no #atproto_pds service.`,
    })
  })

  it('an invalid handle, as the identity resolver words it', () => {
    const invalid = new IdentityResolverError('Invalid handle "a..b" provided.')
    const err = OAuthResolverError.from(invalid, 'Failed to resolve identity: a..b')
    expect(resolutionError(err, 'a..b')).toMatchObject({
      details: { step: 'handle', target: 'a..b' },
      message: 'Could not resolve the handle a..b: not a valid handle.',
    })
  })

  it('an authorization server that cannot be reached', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    const err = OAuthResolverError.from(
      new TypeError('fetch failed', { cause: refused }),
      `${MESSAGES.issuerMetadataFailed} https://as.test/`,
    )
    const reported = resolutionError(err, 'alice.test')
    expect(reported).toMatchObject({
      details: { step: 'authorization_server_metadata', target: 'https://as.test' },
      message:
        'Could not get the OAuth authorization server metadata of https://as.test (for alice.test): connection refused.',
    })
    expect(reported?.hint).toMatch(/may be down/)
  })

  it('is undefined for what is not a resolution failure', () => {
    expect(resolutionError(new TokenRevokedError(DID), 'alice.test')).toBeUndefined()
    expect(resolutionError(new TypeError('a bug'), 'alice.test')).toBeUndefined()
  })
})
