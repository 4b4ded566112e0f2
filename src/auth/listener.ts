// The one-shot HTTP listener the browser is redirected back to. It binds to
// 127.0.0.1 only (never 0.0.0.0: nobody else on the network may deliver a
// callback), on a port the OS picks, and handles exactly one GET /callback.
// Anything else is answered and otherwise ignored, so a stray request (a
// favicon, a port scanner) can neither end nor crash the login.
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { AtoauthError } from '../errors.js'
import { CALLBACK_PATH } from './client-id.js'
import { callbackPage } from './html-page.js'

export type CallbackOutcome = { ok: boolean; title: string; detail: string }

export type PasteResult =
  | { accepted: true; outcome: CallbackOutcome }
  | { accepted: false; reason: string }

export type WaitOptions<T> = {
  /** What the login does with the callback's query; its outcome is the page shown. */
  handler: (params: URLSearchParams) => Promise<{ value: T; outcome: CallbackOutcome }>
  signal?: AbortSignal
  /** Whether a state is this login's (the library's state store knows). */
  isThisLogin: (state: string) => boolean
}

/** Longer than any authorization response; anything bigger is not one. */
const MAX_URL_LENGTH = 8 * 1024

/** The one callback, handled: the page to show, then settling the login. */
type Handled = { outcome: CallbackOutcome; settle: () => void }

export class LoopbackListener {
  readonly port: number
  readonly redirectUri: `http://127.0.0.1:${number}/callback`
  /** Told about requests that were refused and did not end the login. */
  onIgnored: (request: { status: number; reason: string }) => void = () => {}
  readonly #server: Server
  #isThisLogin: (state: string) => boolean = () => false
  #handleOnce: ((params: URLSearchParams) => Promise<Handled>) | undefined

  private constructor(server: Server) {
    this.#server = server
    this.port = (server.address() as AddressInfo).port
    this.redirectUri = `http://127.0.0.1:${this.port}/callback`
    server.on('request', (req, res) => this.#route(req, res))
    // A malformed request (oversized headers, garbage) must not crash the login.
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400
      if (!socket.writable) return socket.destroy()
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\n\r\n`)
    })
  }

  static async bind(port = 0): Promise<LoopbackListener> {
    const server = createServer({ maxHeaderSize: 16 * 1024 })
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve())
      })
    } catch (err) {
      throw bindError(port, err as NodeJS.ErrnoException)
    }
    return new LoopbackListener(server)
  }

  /**
   * Resolves with the handler's value once the first callback of this login
   * (from the browser, or pasted) has been handled and answered; rejects with
   * the handler's error, or the signal's reason. A callback whose state is
   * not this login's is answered 400 and the login keeps waiting: only the
   * authorization server's redirect can end it.
   */
  waitForCallback<T>({ handler, signal, isThisLogin }: WaitOptions<T>): Promise<T> {
    this.#isThisLogin = isThisLogin
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        this.#handleOnce = undefined
        this.close()
        reject(signal?.reason)
      }
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#handleOnce = async (params) => {
        this.#handleOnce = undefined
        signal?.removeEventListener('abort', onAbort)
        try {
          const { value, outcome } = await handler(params)
          return { outcome, settle: () => resolve(value) }
        } catch (err) {
          return { outcome: failedOutcome(err), settle: () => reject(err) }
        }
      }
    })
  }

  /** Why these parameters are not an answer to this login, if they are not. */
  #foreign(params: URLSearchParams): string | undefined {
    const states = params.getAll('state')
    if (states.length === 0) return 'a callback without a state'
    if (states.length > 1 || !this.#isThisLogin(states[0] ?? '')) {
      return "a callback whose state is not this login's (an old tab, or a forged request)"
    }
    return undefined
  }

  /**
   * A callback URL the person copied from a browser that could not reach this
   * listener (it runs on another machine). Checked like the browser's request:
   * this listener's address and path, then the same handler.
   */
  async submitPasted(text: string): Promise<PasteResult> {
    const reason = pastedUrlProblem(text.trim(), this.port)
    if (reason) return { accepted: false, reason }
    const handleOnce = this.#handleOnce
    if (!handleOnce) return { accepted: false, reason: 'this login was already handled' }
    const params = new URL(text.trim()).searchParams
    const foreign = this.#foreign(params)
    if (foreign) return { accepted: false, reason: `that is ${foreign}` }
    const handled = await handleOnce(params)
    this.close()
    handled.settle()
    return { accepted: true, outcome: handled.outcome }
  }

  close(): void {
    this.#server.close()
    this.#server.closeAllConnections()
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('cache-control', 'no-store')
    res.setHeader('referrer-policy', 'no-referrer')
    const rejection = rejectionFor(req, this.port)
    if (rejection) {
      if (rejection.status === 405) res.setHeader('allow', 'GET')
      res.writeHead(rejection.status, { 'content-type': 'text/plain; charset=utf-8' })
      res.end(`${STATUS_CODES[rejection.status]}\n`)
      if (rejection.notice) this.onIgnored({ status: rejection.status, reason: rejection.notice })
      return
    }
    const handleOnce = this.#handleOnce
    if (!handleOnce) {
      page(res, 409, {
        ok: false,
        title: 'This login was already handled',
        detail: 'atoauth accepts one callback per login. Check the terminal for the result.',
      })
      return
    }
    const params = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams
    const foreign = this.#foreign(params)
    if (foreign) {
      page(res, 400, {
        ok: false,
        title: 'Not the answer to this login',
        detail: 'atoauth is still waiting for the sign-in it started. Nothing was stored.',
      })
      this.onIgnored({ status: 400, reason: foreign })
      return
    }
    void handleOnce(params).then((handled) => {
      // The page is handed to the system, or the browser went away while the
      // code was exchanged: the login ends either way, without waiting for
      // the browser to hang up.
      const finish = () => {
        this.#server.close()
        req.socket.unref()
        handled.settle()
      }
      if (res.closed || req.socket.destroyed) return finish()
      res.once('close', finish)
      res.setHeader('connection', 'close')
      page(res, handled.outcome.ok ? 200 : 400, handled.outcome)
    })
  }
}

type Rejection = { status: number; notice?: string }

/** Why a request cannot be the authorization callback, if it cannot. */
function rejectionFor(req: IncomingMessage, port: number): Rejection | undefined {
  const from = req.socket.remoteAddress ?? 'an unknown address'
  if (!['127.0.0.1', '::ffff:127.0.0.1', '::1'].includes(from)) {
    return { status: 403, notice: `a request from ${from}, not from 127.0.0.1` }
  }
  // A web page whose name resolves to 127.0.0.1 (DNS rebinding) sends its own Host.
  const host = req.headers.host ?? ''
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    const notice = `a request for host "${host.slice(0, 100)}", not 127.0.0.1:${port}`
    return { status: 421, notice }
  }
  const url = req.url ?? '/'
  if (url.length > MAX_URL_LENGTH) {
    return { status: 414, notice: `an oversized request (${url.length} bytes)` }
  }
  // The terminal's output strips control characters from the notices.
  const path = url.split('?')[0] ?? ''
  // Browsers ask for a favicon on their own: not worth a word.
  if (path === '/favicon.ico' || path === '/robots.txt') return { status: 404 }
  if (path !== CALLBACK_PATH) return { status: 404, notice: `a request for ${path.slice(0, 80)}` }
  if (req.method !== 'GET') return { status: 405, notice: `a ${req.method} request` }
  return undefined
}

/** Why pasted text is not a callback URL of this listener, if it is not. */
function pastedUrlProblem(text: string, port: number): string | undefined {
  if (text.length > MAX_URL_LENGTH) return 'that is far too long to be the callback URL'
  if (!URL.canParse(text)) return 'that is not a URL'
  const url = new URL(text)
  const expected = `http://127.0.0.1:${port}${CALLBACK_PATH}`
  const isLoopbackHost = url.hostname === '127.0.0.1' || url.hostname === 'localhost'
  if (url.protocol !== 'http:' || !isLoopbackHost || url.port !== String(port)) {
    return `that URL is not for this login: it must start with ${expected}`
  }
  if (url.pathname !== CALLBACK_PATH) return `that URL's path is not ${CALLBACK_PATH}`
  if (!url.search) return 'that URL has no query: copy the whole address, from http to the end'
  return undefined
}

/** What to do about a port that cannot be bound, by error code. */
const BIND_HINTS: Record<string, [string, string]> = {
  EADDRINUSE: [
    'is already in use',
    'Pick another --port, or leave --port out to use any free port.',
  ],
  EACCES: ['needs privileges', 'Ports below 1024 need privileges: pick a --port above 1024.'],
}

function bindError(port: number, err: NodeJS.ErrnoException): AtoauthError {
  const known = BIND_HINTS[err.code ?? '']
  const [message, hint] = known
    ? [`Port ${port} on 127.0.0.1 ${known[0]}.`, known[1]]
    : [
        `Cannot listen on 127.0.0.1 for the login callback: ${err.message}`,
        'Check that the loopback interface is up and that local ports are not exhausted.',
      ]
  return new AtoauthError('listener_failed', message, { hint, cause: err })
}

function failedOutcome(err: unknown): CallbackOutcome {
  const message = err instanceof Error ? err.message : String(err)
  const hint = err instanceof AtoauthError && err.hint ? ` ${err.hint}` : ''
  return { ok: false, title: 'Login failed', detail: `${message}${hint}` }
}

function page(res: ServerResponse, status: number, outcome: CallbackOutcome): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(callbackPage(outcome))
}
