// The one-shot HTTP listener the browser is redirected back to. It binds to
// 127.0.0.1 only (never 0.0.0.0: nobody else on the network may deliver a
// callback), on a port the OS picks, and handles exactly one GET /callback.
// Anything else is answered and otherwise ignored, so a stray request (a
// favicon, a port scanner) can neither end nor crash the login.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AtoauthError } from '../errors.js'
import { CALLBACK_PATH } from './client-id.js'
import { callbackPage } from './html-page.js'

export type CallbackOutcome = { ok: boolean; title: string; detail: string }

/** What the login does with the callback's query; it decides the page shown. */
export type CallbackHandler<T> = (
  params: URLSearchParams,
) => Promise<{ value: T; outcome: CallbackOutcome }>

/** Longer than any authorization response; anything bigger is not one. */
const MAX_URL_LENGTH = 8 * 1024

export class LoopbackListener {
  readonly port: number
  readonly redirectUri: `http://127.0.0.1:${number}/callback`
  readonly #server: Server
  #handleRequest: ((req: IncomingMessage, res: ServerResponse) => void) | undefined

  private constructor(server: Server) {
    this.#server = server
    this.port = (server.address() as AddressInfo).port
    this.redirectUri = `http://127.0.0.1:${this.port}/callback`
    server.on('request', (req, res) => this.#route(req, res))
  }

  static async bind(port = 0): Promise<LoopbackListener> {
    const server = createServer({ maxHeaderSize: 16 * 1024 })
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve())
      })
    } catch (err) {
      throw new AtoauthError(
        'listener_failed',
        `Cannot listen on 127.0.0.1 for the login callback: ${(err as Error).message}`,
        {
          hint: 'Check that the loopback interface is up and that local ports are not exhausted.',
          cause: err,
        },
      )
    }
    return new LoopbackListener(server)
  }

  /**
   * Resolves with the handler's value once the first callback has been handled
   * and answered; rejects with the handler's error, or the signal's reason.
   */
  waitForCallback<T>(handler: CallbackHandler<T>, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        this.close()
        reject(signal?.reason)
      }
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })

      this.#handleRequest = (req, res) => {
        this.#handleRequest = undefined
        const params = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams
        handler(params).then(
          ({ value, outcome }) => {
            signal?.removeEventListener('abort', onAbort)
            this.#answer(res, outcome.ok ? 200 : 400, outcome, () => resolve(value))
          },
          (err: unknown) => {
            signal?.removeEventListener('abort', onAbort)
            const outcome = outcomeOf(err)
            this.#answer(res, 400, outcome, () => reject(err))
          },
        )
      }
    })
  }

  close(): void {
    this.#server.close()
    this.#server.closeAllConnections()
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('cache-control', 'no-store')
    res.setHeader('referrer-policy', 'no-referrer')
    const rejection = rejectionFor(req)
    if (rejection) {
      if (rejection.status === 405) res.setHeader('allow', 'GET')
      plain(res, rejection.status, rejection.text)
    } else if (this.#handleRequest) {
      this.#handleRequest(req, res)
    } else {
      page(res, 409, {
        ok: false,
        title: 'This login was already handled',
        detail: 'atoauth accepts one callback per login. Check the terminal for the result.',
      })
    }
  }

  #answer(res: ServerResponse, status: number, outcome: CallbackOutcome, done: () => void): void {
    res.setHeader('connection', 'close')
    page(res, status, outcome, () => {
      this.close()
      done()
    })
  }
}

/** Why a request cannot be the authorization callback, if it cannot. */
function rejectionFor(req: IncomingMessage): { status: number; text: string } | undefined {
  if (!isLoopbackAddress(req.socket.remoteAddress ?? '')) return { status: 403, text: 'Forbidden' }
  const url = req.url ?? '/'
  if (url.length > MAX_URL_LENGTH) return { status: 414, text: 'URI Too Long' }
  if (url.split('?')[0] !== CALLBACK_PATH) return { status: 404, text: 'Not Found' }
  if (req.method !== 'GET') return { status: 405, text: 'Method Not Allowed' }
  return undefined
}

function outcomeOf(err: unknown): CallbackOutcome {
  const message = err instanceof Error ? err.message : String(err)
  const hint = err instanceof AtoauthError && err.hint ? ` ${err.hint}` : ''
  return { ok: false, title: 'Login failed', detail: `${message}${hint}` }
}

function isLoopbackAddress(address: string): boolean {
  return address === '127.0.0.1' || address === '::ffff:127.0.0.1' || address === '::1'
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`)
}

function page(res: ServerResponse, status: number, outcome: CallbackOutcome, done?: () => void) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' })
  res.end(callbackPage(outcome), done)
}
