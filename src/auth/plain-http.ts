// One HTTP request over node:http(s), its response read in full: what a warm
// command's XRPC call (warm-request.ts) uses. fetch's HTTP client (undici and
// its WebAssembly parser) takes longer to load than the request takes.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { AtoauthError } from '../errors.js'
import { responseTooLarge } from '../request-bounds.js'

/** A response read to its end: what a one-shot command needs of it. */
export type PlainResponse = {
  status: number
  statusText: string
  ok: boolean
  headers: IncomingHttpHeaders
  body: Uint8Array
}

export type PlainRequest = {
  method: string
  headers: Record<string, string>
  body?: Uint8Array | string | undefined
  signal: AbortSignal
  /** A longer body fails the request (response_too_large, exit 4). */
  maxBytes: number
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
  const { method, headers, body, signal, maxBytes } = options
  let res: IncomingMessage
  const chunks: Buffer[] = []
  try {
    res = await new Promise<IncomingMessage>((resolve, reject) => {
      request(url, { method, headers, signal, agent: false }, resolve).on('error', reject).end(body)
    })
    let size = 0
    for await (const chunk of res) {
      size += (chunk as Buffer).length
      if (size > maxBytes) {
        res.destroy()
        throw responseTooLarge(url.origin, maxBytes)
      }
      chunks.push(chunk as Buffer)
    }
  } catch (err) {
    if (signal.aborted) throw signal.reason
    if (err instanceof AtoauthError) throw err
    throw new TypeError('fetch failed', { cause: err })
  }
  const status = res.statusCode ?? 0
  const statusText = res.statusMessage ?? ''
  const ok = status >= 200 && status < 300
  return { status, statusText, ok, headers: res.headers, body: Buffer.concat(chunks) }
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
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
