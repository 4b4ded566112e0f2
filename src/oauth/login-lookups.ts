// The lookups of one login, each made once.
//
// Right after the code exchange the OAuth client checks that the token's
// account (`sub`) really belongs to the server that issued it: it resolves
// the DID again, the handle in its document, the PDS's protected-resource
// metadata and the issuer's metadata, each time bypassing its caches. When
// the account is the one this login started from, those are the very URLs
// this process fetched shortly before, in the same login. Asking again costs
// three or four round trips and tells nothing new, so this fetch answers a
// repeated GET from what this login received less than a minute ago.
//
// What it does not do: keep anything past the login (it lives with the
// login's OAuth client), answer anything but a GET that succeeded, or answer
// from a reply older than a minute (a person who took longer in the browser
// gets the library's fresh reads). A token for another account than the one
// asked for has another DID document and handle, and those are fetched fresh,
// so the issuer check still does its job.
//
// The login's own lookups without the library (direct-authorization.ts) are
// added with remember(): when that start steps aside and the library takes
// over, it reads them from here.

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

/** A successful reply to a GET, kept whole. */
export type Received = {
  at: number
  status: number
  statusText: string
  headers: [string, string][]
  body: ArrayBuffer
}

/** The fetch, and a way to add what this login received without it (direct-authorization.ts). */
export type LoginLookups = Fetch & { remember(url: string, reply: Omit<Received, 'at'>): void }

/** How long a reply stays fresh enough for the issuer check. */
export const LOOKUP_MAX_AGE_MS = 60_000

export function rememberLookups(fetch: Fetch, now: () => number = Date.now): LoginLookups {
  const received = new Map<string, Promise<Received | undefined>>()
  const lookups = async (input: string | URL | Request, init?: RequestInit) => {
    // Read without building a Request: that would take over a POST's body.
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase()
    if (method !== 'GET') return fetch(input, init)
    const url = input instanceof Request ? input.url : String(input)
    const earlier = await received.get(url)
    if (earlier && now() - earlier.at < LOOKUP_MAX_AGE_MS) return replay(earlier)
    const response = await fetch(input, init)
    if (response.ok) {
      const at = now()
      const copy = response
        .clone()
        .arrayBuffer()
        .then(
          (body): Received => ({
            at,
            status: response.status,
            statusText: response.statusText,
            headers: [...response.headers],
            body,
          }),
          () => undefined,
        )
      received.set(url, copy)
    }
    return response
  }
  return Object.assign(lookups, {
    remember(url: string, reply: Omit<Received, 'at'>) {
      if (reply.status >= 200 && reply.status < 300) {
        received.set(url, Promise.resolve({ ...reply, at: now() }))
      }
    },
  })
}

function replay({ status, statusText, headers, body }: Received): Response {
  return new Response(body.slice(0), { status, statusText, headers })
}
