// The fast path of a warm command: while the stored access token is valid,
// one XRPC request needs no OAuth library (loading it costs more than the
// request). The request is signed with a DPoP proof (RFC 9449) made with the
// session's own key, using the nonce the last run cached. Whenever anything
// is not plainly fine — a token close to expiry, a key it cannot use, a
// refused token — it returns undefined and the caller takes the full path
// through the OAuth client, which refreshes under the lock and decides
// whether the session has ended.
//
// It speaks node:http(s) rather than fetch: fetch's HTTP client (undici and
// its WebAssembly parser) takes longer to load than the request takes.
import { createHash, createPrivateKey, randomBytes, sign } from 'node:crypto'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Context } from '../context.js'
import type { Settings } from '../settings.js'
import { openOAuthCache } from '../store/disk-cache.js'
import { USER_AGENT } from '../version.js'
import type { ResolvedAccount } from './account-session.js'

/** The parts of the saved session (NodeSavedSession) this path reads. */
export type SavedSession = {
  dpopJwk: { kty?: string; crv?: string; x?: string; y?: string; d?: string }
  tokenSet: {
    aud: string
    sub: string
    scope: string
    token_type?: string
    access_token: string
    expires_at?: string
  }
}

/** A response read to its end: what a one-shot command needs of it. */
export type PlainResponse = {
  status: number
  statusText: string
  ok: boolean
  headers: IncomingHttpHeaders
  bytes(): Promise<Uint8Array>
  json(): Promise<unknown>
}

/** One XRPC call; the body, if any, is sent again on the nonce retry. */
export type WarmRequestInit = {
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  body?: Uint8Array
}

export type WarmResponse = { response: PlainResponse; tokenSet: SavedSession['tokenSet'] }

/**
 * Leave the last minute to the OAuth client: it refreshes a token that
 * expires within 10–40 s, and a request must not race it.
 */
const MIN_REMAINING_MS = 60_000

/**
 * The warm path for the account a command resolved: undefined when it does
 * not apply (an exported session, one marked ended, another account's), or
 * when the full path must answer.
 */
export async function warmAccountRequest(
  ctx: Context,
  resolved: Pick<ResolvedAccount, 'account' | 'storage' | 'sessionStore' | 'needsLogin'>,
  request: WarmRequestInit,
): Promise<WarmResponse | undefined> {
  const { account, storage, sessionStore } = resolved
  ctx.actingFor = account
  if (resolved.needsLogin || storage !== 'keychain') return undefined
  const saved = await sessionStore.get(account.did)
  // A session that is not this account's is the full path's to reject.
  if (saved?.tokenSet?.sub !== account.did) return undefined
  return warmRequest(ctx.settings, saved, request, ctx.signal)
}

/** Sends `request` to the session's PDS, or says (undefined) that the full path must do it. */
export async function warmRequest(
  settings: Settings,
  saved: SavedSession,
  request: WarmRequestInit,
  signal: AbortSignal,
): Promise<WarmResponse | undefined> {
  const { tokenSet, dpopJwk } = saved
  const expiresAt = tokenSet.expires_at ? Date.parse(tokenSet.expires_at) : Number.NaN
  if (!(expiresAt - Date.now() > MIN_REMAINING_MS)) return undefined
  const alg = dpopJwk.kty === 'EC' ? ALGORITHMS[dpopJwk.crv ?? ''] : undefined
  if (tokenSet.token_type !== 'DPoP' || !alg) return undefined
  // Our agent-less requests would skip the proxy Node takes from the
  // environment (NODE_USE_ENV_PROXY=1 or --use-env-proxy); the library's
  // path goes through it.
  if (nodeUsesEnvProxy()) return undefined
  const url = new URL(request.path, tokenSet.aud)
  const nonces = openOAuthCache<string>(settings.cacheDir, 'dpopNonces')
  const send = async (nonce: string | undefined) => {
    const response = await sendOnce(url, {
      method: request.method,
      headers: {
        ...request.headers,
        'user-agent': USER_AGENT,
        authorization: `DPoP ${tokenSet.access_token}`,
        dpop: dpopProof(saved, alg, request.method, url, nonce),
      },
      body: request.body,
      signal,
    })
    const next = headerValue(response.headers['dpop-nonce'])
    if (next && next !== nonce) await nonces.set(url.origin, next)
    return { response, next }
  }

  const sent = await nonces.get(url.origin)
  const first = await send(sent)
  if (first.response.status !== 401) return { response: first.response, tokenSet }
  // RFC 9449 §9: the server wants a (fresh) nonce; one retry with a new one,
  // as the library does. A 401 means the request was not carried out, so the
  // full path may send it again (after a refresh, if the token was refused).
  if (isUseDpopNonce(first.response) && first.next && first.next !== sent) {
    const second = await send(first.next)
    if (second.response.status !== 401) return { response: second.response, tokenSet }
  }
  return undefined
}

function nodeUsesEnvProxy(): boolean {
  const { globalAgent } = process.getBuiltinModule('node:http')
  return Boolean((globalAgent as { options?: { proxyEnv?: unknown } }).options?.proxyEnv)
}

function isUseDpopNonce(response: PlainResponse): boolean {
  const challenge = headerValue(response.headers['www-authenticate']) ?? ''
  return challenge.startsWith('DPoP') && challenge.includes('error="use_dpop_nonce"')
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/**
 * One request, its response read in full, on a connection of its own.
 * Failures look like fetch's: Ctrl-C rejects with the signal's reason, any
 * other failure with TypeError('fetch failed') and the cause (exit code 4).
 */
async function sendOnce(
  url: URL,
  options: {
    method: string
    headers: Record<string, string>
    body: Uint8Array | undefined
    signal: AbortSignal
  },
): Promise<PlainResponse> {
  // getBuiltinModule, not import(): an ES-module namespace of node:http reads
  // every export, and its WebSocket getters load undici after all.
  const { request } =
    url.protocol === 'https:'
      ? process.getBuiltinModule('node:https')
      : process.getBuiltinModule('node:http')
  const { method, headers, body, signal } = options
  let res: IncomingMessage
  const chunks: Buffer[] = []
  try {
    res = await new Promise<IncomingMessage>((resolve, reject) => {
      request(url, { method, headers, signal, agent: false }, resolve).on('error', reject).end(body)
    })
    for await (const chunk of res) chunks.push(chunk as Buffer)
  } catch (err) {
    if (signal.aborted) throw signal.reason
    throw new TypeError('fetch failed', { cause: err })
  }
  const received = Buffer.concat(chunks)
  const status = res.statusCode ?? 0
  return {
    status,
    statusText: res.statusMessage ?? '',
    ok: status >= 200 && status < 300,
    headers: res.headers,
    bytes: async () => received,
    json: async () => JSON.parse(received.toString('utf8')),
  }
}

/**
 * The JWS algorithm for each curve a DPoP key may use (the library picks the
 * first the server supports; the reference server lists ES256K first). Both
 * sign a SHA-256 digest, the signature as r‖s.
 */
const ALGORITHMS: Record<string, string> = { 'P-256': 'ES256', secp256k1: 'ES256K' }

/** A DPoP proof JWT for one request, bound to the access token by `ath`. */
function dpopProof(
  saved: SavedSession,
  alg: string,
  method: string,
  url: URL,
  nonce: string | undefined,
) {
  const { kty, crv, x, y } = saved.dpopJwk
  const header = { typ: 'dpop+jwt', alg, jwk: { kty, crv, x, y } }
  const payload = {
    jti: randomBytes(16).toString('base64url'),
    htm: method,
    // RFC 9449 §4.2: the URI without query and fragment.
    htu: `${url.origin}${url.pathname}`,
    iat: Math.floor(Date.now() / 1000),
    ath: createHash('sha256').update(saved.tokenSet.access_token).digest('base64url'),
    ...(nonce ? { nonce } : {}),
  }
  const signingInput = `${base64url(header)}.${base64url(payload)}`
  const key = createPrivateKey({
    key: saved.dpopJwk as import('node:crypto').JsonWebKey,
    format: 'jwk',
  })
  const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' })
  return `${signingInput}.${signature.toString('base64url')}`
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}
