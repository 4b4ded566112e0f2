// The one way atoauth makes an authenticated XRPC request for an account:
// first the warm path (a still-valid stored access token, one DPoP-signed
// request, no OAuth library: warm-request.ts), else the library's session,
// which refreshes under the cross-process lock. whoami, api, post and delete go
// through `XrpcSession.request`.
import type { OAuthSession } from '@atproto/oauth-client-node'
import type { Context } from '../context.js'
import { type AtoauthError, SessionEndedError, xrpcRequestError } from '../errors.js'
import { parseJson } from '../store/parse-json.js'
import { isIndexed, type ResolvedAccount } from './accounts.js'
import type { WarmRequestInit, XrpcAnswer } from './warm-request.js'

export type XrpcRequest = WarmRequestInit

export type { XrpcAnswer }

export type XrpcRequester = (request: XrpcRequest) => Promise<XrpcAnswer>

export class XrpcSession {
  readonly #ctx: Context
  readonly resolved: ResolvedAccount
  #library: Promise<OAuthSession> | undefined
  /** Why the library dropped the session during this command, if it did. */
  #ended: unknown

  constructor(ctx: Context, resolved: ResolvedAccount) {
    this.#ctx = ctx
    this.resolved = resolved
    ctx.actingFor = resolved.account
  }

  readonly request: XrpcRequester = async (request) => {
    const answer = (await this.#warm(request)) ?? (await this.#full(request))
    // A scope the session lacks fails this request, said as such; the session stays.
    if (answer.status === 403) {
      const { missingScopeOf, scopeMissingError } = await import('./scope-check.js')
      const missing = missingScopeOf(jsonOf(answer.bytes))
      if (missing)
        throw scopeMissingError(missing, { ...this.resolved.account, scope: answer.token.scope })
    }
    return answer
  }

  async #warm(request: XrpcRequest): Promise<XrpcAnswer | undefined> {
    const { warmAccountRequest } = await import('./warm-request.js')
    return warmAccountRequest(this.#ctx, this.resolved, request)
  }

  async #full(request: XrpcRequest): Promise<XrpcAnswer> {
    this.#library ??= this.#restore()
    const session = await this.#library
    const res = await session
      .fetchHandler(request.path, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: this.#ctx.signal,
      })
      .catch((err: unknown) => this.#translate(err))
    // A request whose refresh was refused comes back as the 401 it got, the
    // session deleted: that is the end of the session, not of this request.
    if (this.#ended !== undefined) await this.#translate(this.#ended)
    const info = await session.getTokenInfo(false)
    return {
      status: res.status,
      statusText: res.statusText,
      ok: res.ok,
      contentType: res.headers.get('content-type') ?? undefined,
      bytes: new Uint8Array(await res.arrayBuffer()),
      token: { aud: info.aud, scope: info.scope, expiresAt: info.expiresAt },
    }
  }

  /** The library's session, refreshed when due; an account known to need a login fails at once. */
  async #restore(): Promise<OAuthSession> {
    const ctx = this.#ctx
    const { account, needsLogin, storage, sessionStore } = this.resolved
    if (needsLogin) throw new SessionEndedError(account.handle, needsLogin.reason)
    const { accountClient } = await import('./client.js')
    // A session the library drops because it ended marks the account, so
    // later commands say so without a network call.
    const indexed = isIndexed(storage)
    const client = await accountClient(ctx, account, sessionStore, async (did, cause) => {
      const { isRevokedByRequest, sessionEndReason } = await import('../errors/library-errors.js')
      if (isRevokedByRequest(cause)) return
      this.#ended = cause
      if (!indexed) return
      const since = ctx.now().toISOString()
      await ctx.accounts
        .markNeedsLogin(did, { since, reason: sessionEndReason(cause) })
        .catch(() => {}) // the session is gone either way; the mark only saves a round trip
    })
    return client.restore(account.did).catch((err: unknown) => this.#translate(err))
  }

  async #translate(err: unknown): Promise<never> {
    const { fromLibraryError } = await import('../errors/library-errors.js')
    throw fromLibraryError(err, this.resolved.account) ?? err
  }
}

/** A non-2xx answer: that request failed (exit 4), with the server's XRPC error and message. */
export function xrpcFailure(nsid: string, answer: XrpcAnswer): AtoauthError {
  const body = jsonOf(answer.bytes) as { error?: unknown; message?: unknown } | undefined
  const error = typeof body?.error === 'string' ? body.error : answer.statusText || 'Error'
  const message = typeof body?.message === 'string' ? body.message : undefined
  return xrpcRequestError(nsid, { status: answer.status, error, message })
}

/** The answer's body as JSON; undefined when it is not JSON. */
export function jsonOf(bytes: Uint8Array): unknown {
  return parseJson(Buffer.from(bytes).toString('utf8'))
}
