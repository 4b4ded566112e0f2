// Finds the authorization server of an account without loading the OAuth
// library: handle → DID → DID document → PDS → protected-resource metadata →
// authorization-server metadata, the steps of the atproto OAuth spec, each
// one request. Used by `login` before the browser opens (direct-authorization.ts
// says why).
//
// It only goes on while everything is plainly as the library expects; at the
// first surprise (an error status, a document it would refuse, a did:web, a
// server without PAR) it returns undefined, and the caller hands the whole
// login to the library, which then says what is wrong in its usual words.
// What it finds is what the code exchange (direct-code-exchange.ts) checks the
// token's account against: this DID, whose document named this PDS, whose
// metadata named this issuer.
import { resolveTxt } from 'node:dns/promises'
import type { Settings } from '../settings.js'
import { isRecord, mediaType, type PlainResponse } from './plain-http.js'

export type DirectGet = (
  url: URL,
  options: {
    accept: string
    /** Connect to public addresses only (a handle's own web server). */
    publicOnly?: boolean
    maxBytes?: number
    /** Ends this request early (the login's own bound applies too). */
    signal?: AbortSignal
  },
) => Promise<PlainResponse>

export type ResolutionSettings = Pick<
  Settings,
  'plcDirectoryUrl' | 'handleResolverUrl' | 'allowHttp'
>

/** The account found, and what the login needs of its authorization server. */
export type AuthorizationServer = {
  /** The account's DID, and its handle when that resolves back to the DID. */
  did: string
  handle: string | undefined
  /** The account's PDS (URL href, as the library keeps it: the token's audience). */
  pds: string
  issuer: string
  parEndpoint: URL
  authorizationEndpoint: URL
  tokenEndpoint: URL
  revocationEndpoint: URL | undefined
  /** Whether the callback must carry `iss` (RFC 9207). */
  issParameterSupported: boolean
  /** How the authorization server is told whom the person signs in as. */
  loginHint: string
}

const DEFAULT_PLC_DIRECTORY = 'https://plc.directory'
const DID_PLC = /^did:plc:[a-z2-7]{24}$/
const JSON_TYPES = 'application/json'
const DID_DOCUMENT_TYPES = 'application/did+ld+json,application/json'

/** Resolves `identifier` (a handle or a did:plc, as `checkIdentifier` let through). */
export async function findAuthorizationServer(
  identifier: string,
  settings: ResolutionSettings,
  get: DirectGet,
): Promise<AuthorizationServer | undefined> {
  const byDid = identifier.startsWith('did:')
  const handle = byDid ? undefined : identifier.toLowerCase()
  const did = handle ? await resolveHandle(handle, settings, get) : identifier
  if (!did || !DID_PLC.test(did)) return undefined

  const plc = settings.plcDirectoryUrl ?? DEFAULT_PLC_DIRECTORY
  const document = await getJson(get, new URL(`/${encodeURIComponent(did)}`, plc), {
    accept: DID_DOCUMENT_TYPES,
    types: ['application/json', 'application/did+ld+json'],
  })
  if (!isRecord(document) || document.id !== did) return undefined
  const documentHandle = atprotoHandle(document)
  // The handle must name the account back (bi-directional resolution).
  if (handle && documentHandle !== handle) return undefined
  const verifiedHandle =
    handle ??
    (documentHandle && (await resolveHandle(documentHandle, settings, get)) === did
      ? documentHandle
      : undefined)

  const pds = pdsOrigin(document, did, settings.allowHttp)
  if (!pds) return undefined
  const resource = await getJson(get, new URL('/.well-known/oauth-protected-resource', pds), {
    accept: JSON_TYPES,
    types: ['application/json'],
  })
  if (!isRecord(resource) || resource.resource !== pds) return undefined
  const servers = resource.authorization_servers
  // atproto: exactly one authorization server per PDS.
  if (!Array.isArray(servers) || servers.length !== 1) return undefined
  const issuer = servers[0]
  if (typeof issuer !== 'string' || originOf(issuer, settings.allowHttp) !== issuer) {
    return undefined
  }

  const metadata = await getJson(get, new URL('/.well-known/oauth-authorization-server', issuer), {
    accept: JSON_TYPES,
    types: ['application/json'],
  })
  if (!isRecord(metadata) || !isUsableServer(metadata, issuer, pds)) return undefined
  const parEndpoint = httpUrl(metadata.pushed_authorization_request_endpoint, settings.allowHttp)
  const authorizationEndpoint = httpUrl(metadata.authorization_endpoint, settings.allowHttp)
  const tokenEndpoint = httpUrl(metadata.token_endpoint, settings.allowHttp)
  const revocationEndpoint = httpUrl(metadata.revocation_endpoint, settings.allowHttp)
  if (!parEndpoint || !authorizationEndpoint || !tokenEndpoint) return undefined
  if (metadata.revocation_endpoint !== undefined && !revocationEndpoint) return undefined
  return {
    did,
    handle: verifiedHandle,
    pds: new URL(pds).href,
    issuer,
    parEndpoint,
    authorizationEndpoint,
    tokenEndpoint,
    revocationEndpoint,
    issParameterSupported: metadata.authorization_response_iss_parameter_supported === true,
    loginHint: verifiedHandle ?? did,
  }
}

/**
 * Everything the library requires of an authorization server before it
 * sends a public client's PAR and, later, the code exchange.
 */
function isUsableServer(metadata: Record<string, unknown>, issuer: string, pds: string): boolean {
  const includes = (list: unknown, value: string) => Array.isArray(list) && list.includes(value)
  return (
    metadata.issuer === issuer &&
    metadata.client_id_metadata_document_supported === true &&
    (metadata.protected_resources === undefined || includes(metadata.protected_resources, pds)) &&
    includes(metadata.dpop_signing_alg_values_supported, 'ES256') &&
    includes(metadata.token_endpoint_auth_methods_supported, 'none') &&
    includes(metadata.code_challenge_methods_supported, 'S256') &&
    includes(metadata.response_types_supported, 'code') &&
    typeof metadata.token_endpoint === 'string'
  )
}

/**
 * A handle's DID: from the configured resolver service, else (the spec's
 * way) from a DNS TXT record and the handle's web server at once, the DNS
 * answer first.
 */
async function resolveHandle(
  handle: string,
  settings: ResolutionSettings,
  get: DirectGet,
): Promise<string | undefined> {
  if (settings.handleResolverUrl) {
    const url = new URL('/xrpc/com.atproto.identity.resolveHandle', settings.handleResolverUrl)
    url.searchParams.set('handle', handle)
    const answer = await getJson(get, url, { accept: JSON_TYPES, types: ['application/json'] })
    return isRecord(answer) && typeof answer.did === 'string' ? answer.did : undefined
  }
  // The web request is stopped once DNS answers, and bounded like the
  // library's (3 s): left running, it would keep atoauth alive after the login.
  const stopWeb = new AbortController()
  const web = fromWebServer(
    handle,
    get,
    AbortSignal.any([stopWeb.signal, AbortSignal.timeout(WEB_HANDLE_TIMEOUT_MS)]),
  ).catch(() => undefined)
  const dns = fromDns(handle).catch(() => undefined)
  try {
    return (await dns) ?? (await web)
  } finally {
    stopWeb.abort()
  }
}

const WEB_HANDLE_TIMEOUT_MS = 3_000

async function fromDns(handle: string): Promise<string | undefined> {
  const records = (await resolveTxt(`_atproto.${handle}`)).map((chunks) => chunks.join(''))
  const dids = records.filter((r) => r.startsWith('did=')).map((r) => r.slice(4))
  // More than one is ambiguous: no answer.
  return dids.length === 1 ? dids[0] : undefined
}

async function fromWebServer(
  handle: string,
  get: DirectGet,
  signal: AbortSignal,
): Promise<string | undefined> {
  const url = new URL('/.well-known/atproto-did', `https://${handle}`)
  // A DID is at most 2 KB: anything much longer is not an answer.
  const response = await get(url, {
    accept: 'text/plain',
    publicOnly: true,
    maxBytes: 10_240,
    signal,
  })
  if (response.status !== 200) return undefined
  const text = Buffer.from(await response.bytes()).toString('utf8')
  return text.split('\n')[0]?.trim() || undefined
}

/** The body of a 200 answer of one of `types`, parsed; undefined for anything else. */
async function getJson(
  get: DirectGet,
  url: URL,
  options: { accept: string; types: string[] },
): Promise<unknown> {
  const response = await get(url, { accept: options.accept })
  const type = mediaType(response)
  if (response.status !== 200 || !type || !options.types.includes(type)) return undefined
  return response.json().catch(() => undefined)
}

function atprotoHandle(document: Record<string, unknown>): string | undefined {
  const aliases = Array.isArray(document.alsoKnownAs) ? document.alsoKnownAs : []
  const alias = aliases.find((a): a is string => typeof a === 'string' && a.startsWith('at://'))
  return alias?.slice('at://'.length).toLowerCase()
}

/** The origin of the document's #atproto_pds service, when the endpoint is just that. */
function pdsOrigin(
  document: Record<string, unknown>,
  did: string,
  allowHttp: boolean,
): string | undefined {
  const services = Array.isArray(document.service) ? document.service : []
  const service = services.find(
    (s) =>
      isRecord(s) &&
      s.type === 'AtprotoPersonalDataServer' &&
      (s.id === '#atproto_pds' || s.id === `${did}#atproto_pds`),
  ) as Record<string, unknown> | undefined
  const endpoint = service?.serviceEndpoint
  if (typeof endpoint !== 'string') return undefined
  const origin = originOf(endpoint, allowHttp)
  // A path after the origin is unusual: the library's to judge.
  return origin && (endpoint === origin || endpoint === `${origin}/`) ? origin : undefined
}

function originOf(value: string, allowHttp: boolean): string | undefined {
  return httpUrl(value, allowHttp)?.origin
}

function httpUrl(value: unknown, allowHttp: boolean): URL | undefined {
  if (typeof value !== 'string' || !URL.canParse(value)) return undefined
  const url = new URL(value)
  return url.protocol === 'https:' || (allowHttp && url.protocol === 'http:') ? url : undefined
}
