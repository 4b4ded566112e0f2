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

/** A request that was answered and ignored, for the terminal to mention. */
export type IgnoredRequest = { status: number; reason: string }

export type PasteResult =
  | { accepted: true; outcome: CallbackOutcome }
  | { accepted: false; reason: string }

export type WaitOptions<T> = {
  handler: CallbackHandler<T>
  signal?: AbortSignal
  /** Whether a state is this login's (the library's state store knows). */
  isThisLogin: (state: string) => boolean
}

/** Longer than any authorization response; anything bigger is not one. */
const MAX_URL_LENGTH = 8 * 1024

/** The one callback, handled: the page to show, then settling the login. */
type Handled = { outcome: CallbackOutcome; status: number; settle: () => void }

export class LoopbackListener {
  readonly port: number
  readonly redirectUri: `http://127.0.0.1:${number}/callback`
  /** Told about requests that were refused and did not end the login. */
  onIgnored: (request: IgnoredRequest) => void = () => {}
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
      const status =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : '400 Bad Request'
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\n\r\n`)
      else socket.destroy()
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
      throw bindError(port, err)
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
          return { outcome, status: outcome.ok ? 200 : 400, settle: () => resolve(value) }
        } catch (err) {
          return { outcome: outcomeOf(err), status: 400, settle: () => reject(err) }
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
      plain(res, rejection.status, rejection.text)
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
      let settled = false
      const finish = () => {
        if (settled) return
        settled = true
        this.#server.close()
        // The page is on its way (or the browser is gone): atoauth need not
        // stay alive until the browser hangs up.
        req.socket.unref()
        handled.settle()
      }
      // The browser may have gone away while the code was exchanged: the
      // login ends either way, with or without the page. Once the page is
      // handed to the system ('finish'), it reaches the browser even if
      // atoauth exits at once: no need to wait for the browser to read it.
      if (res.closed || req.socket.destroyed) return finish()
      res.once('finish', finish)
      res.once('close', finish)
      res.setHeader('connection', 'close')
      page(res, handled.status, handled.outcome)
    })
  }
}

type Rejection = { status: number; text: string; notice?: string }

/** Why a request cannot be the authorization callback, if it cannot. */
function rejectionFor(req: IncomingMessage, port: number): Rejection | undefined {
  const from = req.socket.remoteAddress ?? 'an unknown address'
  if (!isLoopbackAddress(from)) {
    return { status: 403, text: 'Forbidden', notice: `a request from ${from}, not from 127.0.0.1` }
  }
  // A web page whose name resolves to 127.0.0.1 (DNS rebinding) sends its own Host.
  const host = req.headers.host ?? ''
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    return {
      status: 421,
      text: 'Misdirected Request',
      notice: `a request for host "${host.slice(0, 100)}", not 127.0.0.1:${port}`,
    }
  }
  const url = req.url ?? '/'
  if (url.length > MAX_URL_LENGTH) {
    return {
      status: 414,
      text: 'URI Too Long',
      notice: `an oversized request (${url.length} bytes)`,
    }
  }
  const path = url.split('?')[0]
  if (path !== CALLBACK_PATH) {
    // Browsers ask for a favicon on their own: not worth a word.
    const quiet = path === '/favicon.ico' || path === '/robots.txt'
    return {
      status: 404,
      text: 'Not Found',
      notice: quiet ? undefined : `a request for ${printablePath(path)}`,
    }
  }
  if (req.method !== 'GET') {
    return { status: 405, text: 'Method Not Allowed', notice: `a ${req.method} request` }
  }
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

function bindError(port: number, err: unknown): AtoauthError {
  const known = BIND_HINTS[(err as NodeJS.ErrnoException).code ?? '']
  const [message, hint] = known
    ? [`Port ${port} on 127.0.0.1 ${known[0]}.`, known[1]]
    : [
        `Cannot listen on 127.0.0.1 for the login callback: ${(err as Error).message}`,
        'Check that the loopback interface is up and that local ports are not exhausted.',
      ]
  return new AtoauthError('listener_failed', message, { hint, cause: err })
}

function printablePath(path: string | undefined): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return (path ?? '').replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 80)
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

function page(res: ServerResponse, status: number, outcome: CallbackOutcome): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' })
  res.end(callbackPage(outcome))
}
