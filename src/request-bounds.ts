// The bounds of every request atoauth makes for an account, on either path (the warm request,
// or the OAuth library's fetch): a server may be slow, huge or hostile, never unbounded.

/** A whole request, answer body included; fetch would wait as long as the server keeps the connection open. */
export const REQUEST_TIMEOUT_MS = 30_000

/** Far above any XRPC JSON answer; a blob as large as Bluesky's largest video still fits. */
export const MAX_RESPONSE_BYTES = 100 * 2 ** 20
