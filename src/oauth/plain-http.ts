// One HTTP request over node:http(s), its response read in full: what the
// paths that skip the OAuth library use (a warm command's XRPC call, the
// login's lookups and pushed authorization request). fetch's HTTP client
// (undici and its WebAssembly parser) takes longer to load than these
// requests take.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { isIP } from 'node:net'

/** A response read to its end: what a one-shot command needs of it. */
export type PlainResponse = {
  status: number
  statusText: string
  ok: boolean
  headers: IncomingHttpHeaders
  bytes(): Promise<Uint8Array>
  json(): Promise<unknown>
}

export type PlainRequest = {
  method: string
  headers: Record<string, string>
  body?: Uint8Array | string | undefined
  signal: AbortSignal
  /** Connect to public addresses only (public-address.ts): for hosts anyone can name. */
  publicOnly?: boolean | undefined
  /** A longer body fails the request. */
  maxBytes?: number | undefined
}

/**
 * Sends one request on a connection of its own; redirects are not followed.
 * Failures look like fetch's: an aborted signal rejects with its reason, any
 * other failure with TypeError('fetch failed') and the cause.
 */
export async function sendOnce(url: URL, options: PlainRequest): Promise<PlainResponse> {
  // Only the module this URL needs is loaded.
  const { request } =
    url.protocol === 'https:'
      ? process.getBuiltinModule('node:https')
      : process.getBuiltinModule('node:http')
  const { method, headers, body, signal, publicOnly, maxBytes = Number.POSITIVE_INFINITY } = options
  let res: IncomingMessage
  const chunks: Buffer[] = []
  try {
    const lookup = publicOnly ? await publicLookupFor(url.hostname) : undefined
    res = await new Promise<IncomingMessage>((resolve, reject) => {
      request(
        url,
        { method, headers, signal, agent: false, ...(lookup ? { lookup } : {}) },
        resolve,
      )
        .on('error', reject)
        .end(body)
    })
    let size = 0
    for await (const chunk of res) {
      size += (chunk as Buffer).length
      if (size > maxBytes) {
        res.destroy()
        throw new Error(`response larger than ${maxBytes} bytes`)
      }
      chunks.push(chunk as Buffer)
    }
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
 * The lookup that keeps a request on public addresses. Node does not look up
 * a host that is an address already: that one is checked here.
 */
async function publicLookupFor(hostname: string) {
  const { isPublicAddress, publicAddressLookup } = await import('./public-address.js')
  const address = hostname.replace(/^\[(.*)\]$/, '$1')
  if (isIP(address) && !isPublicAddress(address)) {
    throw Object.assign(new Error(`${address} is not a public address`), { code: 'ENOTPUBLIC' })
  }
  return publicAddressLookup
}

/** The headers as name–value pairs, a repeated header once per value (what Headers takes). */
export function headerPairs(headers: IncomingHttpHeaders): [string, string][] {
  return Object.entries(headers).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value ?? '']).map((v): [string, string] => [name, v]),
  )
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** The media type of a response, without its parameters ("application/json"). */
export function mediaType(response: PlainResponse): string | undefined {
  return headerValue(response.headers['content-type'])?.split(';')[0]?.trim().toLowerCase()
}

/** A JSON object (what a response body must be before its fields are read). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Whether Node sends HTTP through a proxy from the environment
 * (NODE_USE_ENV_PROXY=1 or --use-env-proxy). Our agent-less requests would
 * skip it: callers then leave the request to the library, whose fetch uses it.
 */
export function nodeUsesEnvProxy(): boolean {
  const { globalAgent } = process.getBuiltinModule('node:http')
  return Boolean((globalAgent as { options?: { proxyEnv?: unknown } }).options?.proxyEnv)
}
