// Client metadata in its two roles: the document a client_id URL serves (what
// the authorization server reads), and the metadata the OAuth client library
// is built with at run time (which must list the concrete loopback port).
import {
  assertOAuthDiscoverableClientId,
  atprotoLoopbackClientMetadata,
  buildAtprotoLoopbackClientId,
  type OAuthClientMetadataInput,
  oauthClientMetadataSchema,
} from '@atproto/oauth-types'
import { UsageError } from '../errors.js'
import { HOSTED_REDIRECT_URI, HOSTED_SCOPE, isLoopbackClientId } from './client-id.js'

/** The document to publish at `clientId`. */
export function hostedClientMetadata(clientId: string, scope = HOSTED_SCOPE) {
  assertDiscoverableClientId(clientId)
  const url = new URL(clientId)
  return {
    client_id: clientId,
    client_name: 'atoauth',
    client_uri: `${url.origin}/`,
    application_type: 'native',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope,
    redirect_uris: [HOSTED_REDIRECT_URI],
    token_endpoint_auth_method: 'none',
    dpop_bound_access_tokens: true,
  } satisfies OAuthClientMetadataInput
}

/**
 * The metadata the client library is constructed with. For a hosted client_id
 * the concrete `http://127.0.0.1:<port>/callback` comes first: the library
 * only accepts a redirect_uri it finds in this list, even though the server
 * matches it against the port-less URI of the hosted document.
 */
export function runtimeClientMetadata(options: {
  clientId: string
  scope: string
  redirectUri?: string
}): OAuthClientMetadataInput {
  if (isLoopbackClientId(options.clientId)) {
    return atprotoLoopbackClientMetadata(options.clientId)
  }
  const doc = hostedClientMetadata(options.clientId, options.scope)
  const redirectUris = options.redirectUri
    ? [options.redirectUri, HOSTED_REDIRECT_URI]
    : [HOSTED_REDIRECT_URI]
  return { ...doc, redirect_uris: redirectUris as [string, ...string[]] }
}

/** The atproto development client id: it needs no hosted document. */
export function developmentClientId(redirectUri: string, scope: string): string {
  return buildAtprotoLoopbackClientId({ scope, redirect_uris: [redirectUri] })
}

export function assertDiscoverableClientId(clientId: string): void {
  try {
    assertOAuthDiscoverableClientId(clientId)
  } catch (err) {
    throw new UsageError(
      `"${clientId}" is not a valid hosted client_id: ${firstIssue(err)}`,
      'A client_id is the https URL of the client metadata document, e.g. https://my.host/oauth-client-metadata.json',
    )
  }
}

/**
 * Checks a client metadata document against the OAuth schema and against what
 * atoauth needs from it (a public native client with a loopback redirect).
 * Returns the problems found; an empty list means the document is usable.
 */
export function validateHostedClientMetadata(
  clientId: string,
  document: unknown,
  requiredScope = 'atproto',
): string[] {
  const parsed = oauthClientMetadataSchema.safeParse(document)
  if (!parsed.success) {
    return parsed.error.issues.map((i) => `${i.path.join('.') || 'document'}: ${i.message}`)
  }
  const doc = parsed.data
  const problems: string[] = []
  if (doc.client_id !== clientId) {
    problems.push(`client_id is "${doc.client_id}", expected "${clientId}"`)
  }
  if (doc.application_type !== 'native') {
    problems.push('application_type must be "native" (loopback redirects need it)')
  }
  if (doc.token_endpoint_auth_method !== 'none') {
    problems.push('token_endpoint_auth_method must be "none" (atoauth is a public client)')
  }
  if (doc.dpop_bound_access_tokens !== true) {
    problems.push('dpop_bound_access_tokens must be true')
  }
  if (!doc.redirect_uris.includes(HOSTED_REDIRECT_URI)) {
    problems.push(`redirect_uris must include "${HOSTED_REDIRECT_URI}"`)
  }
  const declared = new Set((doc.scope ?? '').split(' '))
  for (const scope of requiredScope.split(' ')) {
    if (!declared.has(scope)) problems.push(`scope does not declare "${scope}"`)
  }
  if (doc.client_uri) {
    const clientUri = new URL(doc.client_uri)
    const id = new URL(clientId)
    const parent = clientUri.pathname.endsWith('/') ? clientUri.pathname : `${clientUri.pathname}/`
    if (clientUri.origin !== id.origin || !`${id.pathname}`.startsWith(parent)) {
      problems.push('client_uri must be a parent URL of the client_id, on the same origin')
    }
  }
  return problems
}

function firstIssue(err: unknown): string {
  const issues = (err as { issues?: Array<{ message: string }> }).issues
  return issues?.[0]?.message ?? (err instanceof Error ? err.message : String(err))
}
