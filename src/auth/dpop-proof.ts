// DPoP proofs (RFC 9449) for the one request atoauth sends without the OAuth
// library: a warm command's XRPC call, signed with the session's private JWK.
import { createHash, createPrivateKey, type JsonWebKey, randomBytes, sign } from 'node:crypto'

export type DpopJwk = { kty?: string; crv?: string; x?: string; y?: string; d?: string }

/**
 * The JWS algorithm for each curve a DPoP key may use (the library picks the
 * first the server supports; the reference server lists ES256K first). Both
 * sign a SHA-256 digest, the signature as r‖s.
 */
const ALGORITHMS: Record<string, string> = { 'P-256': 'ES256', secp256k1: 'ES256K' }

/** The algorithm to sign with `jwk`, or undefined for a key this module cannot use. */
export function dpopAlgorithm(jwk: DpopJwk): string | undefined {
  return jwk.kty === 'EC' ? ALGORITHMS[jwk.crv ?? ''] : undefined
}

/**
 * A proof for one request, bound to its access token (`ath`); the nonce is
 * the server's latest, when there is one.
 */
export function dpopProof(
  jwk: DpopJwk,
  alg: string,
  request: { method: string; url: URL; nonce?: string | undefined; accessToken: string },
): string {
  const { kty, crv, x, y } = jwk
  const header = { typ: 'dpop+jwt', alg, jwk: { kty, crv, x, y } }
  const payload = {
    jti: randomBytes(16).toString('base64url'),
    htm: request.method,
    // RFC 9449 §4.2: the URI without query and fragment.
    htu: `${request.url.origin}${request.url.pathname}`,
    iat: Math.floor(Date.now() / 1000),
    ath: createHash('sha256').update(request.accessToken).digest('base64url'),
    ...(request.nonce ? { nonce: request.nonce } : {}),
  }
  const signingInput = `${base64url(header)}.${base64url(payload)}`
  const key = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' })
  const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' })
  return `${signingInput}.${signature.toString('base64url')}`
}

/** Whether a 401's challenge asks (RFC 9449 §9) for the request again with a fresh nonce. */
export function asksForNonce(wwwAuthenticate: string | undefined): boolean {
  const challenge = wwwAuthenticate ?? ''
  return challenge.startsWith('DPoP') && challenge.includes('error="use_dpop_nonce"')
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}
