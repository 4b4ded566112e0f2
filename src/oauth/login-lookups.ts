// The lookups of one login, each made once.
//
// Right after the code exchange the OAuth client checks that the token's
// account (`sub`) really belongs to the server that issued it: it resolves
// the DID again, the handle in its document, the PDS's protected-resource
// metadata and the issuer's metadata, each time bypassing its caches. When
// the account is the one this login started from, those are the very URLs
// this process fetched a moment earlier, in the same login. Asking again
// costs three or four round trips and tells nothing new, so this fetch
// answers a repeated GET from what this login already received.
//
// What it does not do: keep anything past the login (it lives with the
// login's OAuth client), or answer anything but a GET that succeeded. A token
// for another account than the one asked for resolves other URLs, and those
// are fetched fresh, so the issuer check still does its job.

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

type Received = { status: number; statusText: string; headers: Headers; body: ArrayBuffer }

export function rememberLookups(fetch: Fetch): Fetch {
  const received = new Map<string, Promise<Received | undefined>>()
  return async (input, init) => {
    // Read without building a Request: that would take over a POST's body.
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase()
    if (method !== 'GET') return fetch(input, init)
    const url = input instanceof Request ? input.url : String(input)
    const earlier = await received.get(url)
    if (earlier) return replay(earlier)
    const response = await fetch(input, init)
    if (response.ok) {
      const copy = response
        .clone()
        .arrayBuffer()
        .then(
          (body): Received => ({
            status: response.status,
            statusText: response.statusText,
            headers: new Headers(response.headers),
            body,
          }),
          () => undefined,
        )
      received.set(url, copy)
    }
    return response
  }
}

function replay({ status, statusText, headers, body }: Received): Response {
  return new Response(body.slice(0), { status, statusText, headers })
}
