// The fetch the OAuth library makes every request with: sessions from a file or the environment,
// tokens near expiry, refreshes, logins. It keeps the warm request's rules:
//   - a request that carries credentials (Authorization, DPoP) or a body never follows a
//     redirect: the 3xx is that request's answer. fetch would forward the DPoP proof and the body
//     to whatever host a hostile server names in a 307;
//   - the whole request, answer body included, ends at REQUEST_TIMEOUT_MS;
//   - an answer body past MAX_RESPONSE_BYTES fails (response_too_large, exit 4).
// Plain public lookups (a handle's well-known document, a DID document) keep the library's own
// redirect choice: the atproto spec allows redirects there, and they carry nothing secret.
// A token request also tells interrupts.ts, which holds signals back until its answer is stored.
import { startDeadline } from '../deadline.js'
import {
  MAX_RESPONSE_BYTES,
  noAnswerWithin,
  REQUEST_TIMEOUT_MS,
  responseTooLarge,
} from '../request-bounds.js'
import { tokenRequestSent } from '../token-answer-hold.js'
import { USER_AGENT } from '../version.js'

type Fetch = typeof globalThis.fetch

/** `inner` does the sending (the global fetch, or the login's resolution-bounded one). */
export function libraryFetch(inner: Fetch = globalThis.fetch): Fetch {
  return async (input, init) => {
    const request = new Request(input, init)
    if (!request.headers.has('user-agent')) request.headers.set('user-agent', USER_AGENT)
    const { origin } = new URL(request.url)
    const deadline = startDeadline(
      REQUEST_TIMEOUT_MS,
      request.signal,
      noAnswerWithin(origin, REQUEST_TIMEOUT_MS),
    )
    const done = () => deadline.clear()
    let endHold = () => {}
    try {
      // After a signal this throws instead: a token request not sent spends nothing.
      if (await isTokenRequest(request)) endHold = tokenRequestSent()
      const response = await inner(request, {
        signal: deadline.signal, // the request's own signal, and the deadline
        redirect: carriesSecrets(request) ? 'manual' : request.redirect,
      })
      return capped(response, origin, () => {
        done()
        endHold()
      })
    } catch (err) {
      done()
      endHold()
      throw err
    }
  }
}

function carriesSecrets(request: Request): boolean {
  const { headers, method } = request
  return (
    headers.has('authorization') ||
    headers.has('dpop') ||
    !(method === 'GET' || method === 'HEAD') ||
    request.body !== null
  )
}

/** A code exchange or a refresh: the requests whose answer must be stored, whatever happens. */
async function isTokenRequest(request: Request): Promise<boolean> {
  if (request.method !== 'POST') return false
  const type = request.headers.get('content-type') ?? ''
  if (!type.startsWith('application/x-www-form-urlencoded')) return false
  // A form of a few hundred bytes: reading a copy costs nothing.
  const grant = new URLSearchParams(await request.clone().text()).get('grant_type')
  return grant === 'refresh_token' || grant === 'authorization_code'
}

/** The response, its body cut off with response_too_large past MAX_RESPONSE_BYTES; `finished` at its end. */
function capped(response: Response, origin: string, finished: () => void): Response {
  const maxBytes = MAX_RESPONSE_BYTES
  const tooLarge = () => responseTooLarge(origin, maxBytes)
  if (Number(response.headers.get('content-length')) > maxBytes) {
    response.body?.cancel().catch(() => {})
    finished()
    throw tooLarge()
  }
  if (!response.body) {
    finished()
    return response
  }
  const reader = response.body.getReader()
  let size = 0
  // Read to its end, failed or cancelled (an error answer dropped unread): the request is over.
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read()
        if (done) {
          finished()
          return controller.close()
        }
        size += value.byteLength
        if (size <= maxBytes) return controller.enqueue(value)
        finished()
        await reader.cancel().catch(() => {})
        controller.error(tooLarge())
      } catch (err) {
        finished()
        controller.error(err)
      }
    },
    cancel(reason) {
      finished()
      return reader.cancel(reason)
    },
  })
  const { status, statusText, headers } = response
  const bounded = new Response(body, { status, statusText, headers })
  // Where the answer came from, as the library may read it (a public lookup may have followed a
  // redirect): the real response's, not the copy's empty ones.
  Object.defineProperty(bounded, 'url', { value: response.url })
  Object.defineProperty(bounded, 'redirected', { value: response.redirected })
  return bounded
}
