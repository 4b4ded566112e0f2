// A form POST to an authorization server with a DPoP proof (RFC 9449), as a
// login without the OAuth library sends them: the pushed authorization
// request, the code exchange, and revoking tokens it cannot keep.
import type { JsonWebKey } from 'node:crypto'
import { asksForNonce, dpopAlgorithm, dpopProof } from './dpop-proof.js'
import { headerValue, isRecord, mediaType, type PlainResponse } from './plain-http.js'

/** One request, answered in full (the caller bounds it and names itself in it). */
export type DirectSend = (
  url: URL,
  init: {
    method: 'GET' | 'POST'
    headers: Record<string, string>
    body?: string
    publicOnly?: boolean
    maxBytes?: number
    signal?: AbortSignal
  },
) => Promise<PlainResponse>

export type FormAnswer = {
  status: number
  /** The JSON body, when the answer has one. */
  json: unknown
  /** The server's latest DPoP nonce: the one it sent, else the one we used. */
  nonce: string | undefined
}

/**
 * Posts `form` with a proof signed by `jwk` (a P-256 or secp256k1 key). A server that wants a
 * nonce answers the first try with `use_dpop_nonce` and one (a fresh login
 * has none): one retry with it.
 */
export async function postForm(
  url: URL,
  form: Record<string, string>,
  dpop: { jwk: JsonWebKey; nonce: string | undefined },
  send: DirectSend,
): Promise<FormAnswer> {
  const body = new URLSearchParams(form).toString()
  const alg = dpopAlgorithm(dpop.jwk)
  if (!alg) throw new TypeError('The DPoP key is not an EC key on P-256 or secp256k1.')
  const attempt = async (nonce: string | undefined): Promise<FormAnswer> => {
    const response = await send(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        dpop: dpopProof(dpop.jwk, alg, { method: 'POST', url, nonce }),
      },
      body,
    })
    const json =
      mediaType(response) === 'application/json'
        ? await response.json().catch(() => undefined)
        : undefined
    return {
      status: response.status,
      json,
      nonce: headerValue(response.headers['dpop-nonce']) ?? nonce,
    }
  }
  const first = await attempt(dpop.nonce)
  const error = isRecord(first.json) ? first.json.error : undefined
  const retry = asksForNonce(first.status, undefined, error) && first.nonce !== dpop.nonce
  return retry ? attempt(first.nonce) : first
}
