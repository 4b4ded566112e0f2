// Test-only preload for the atoauth child process (NODE_OPTIONS=--import=<this
// file>): there is no internet in the tests, and a production-shaped https
// client_id cannot point at loopback, so this answers `fetch` of the client_id
// URLs listed in ATOAUTH_TEST_HOSTED_DOCUMENTS, a JSON map from URL to
// - a file path: served as the document (200, application/json, a Date header);
// - an http:// URL: the request is forwarded there (a closed port is an
//   unreachable host, a silent server one that never answers).
// Every other fetch goes out unchanged. Product code knows nothing of this.
import { readFile } from 'node:fs/promises'

const routes = JSON.parse(process.env.ATOAUTH_TEST_HOSTED_DOCUMENTS ?? '{}') as Record<
  string,
  string
>
const realFetch = globalThis.fetch

globalThis.fetch = async (input, init) => {
  const request = new Request(input, init)
  const route = routes[request.url]
  if (route === undefined) return realFetch(input, init)
  if (route.startsWith('http://')) {
    return realFetch(route, {
      method: request.method,
      headers: request.headers,
      redirect: request.redirect,
      // The caller's own signal: a Request only follows it weakly.
      signal: init?.signal ?? (input instanceof Request ? input.signal : undefined),
    })
  }
  return new Response(await readFile(route), {
    status: 200,
    headers: { 'content-type': 'application/json', date: new Date().toUTCString() },
  })
}
