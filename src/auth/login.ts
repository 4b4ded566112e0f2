// The sign-in through the browser shared by `login` (session kept in the
// keychain) and `session create` (session written to an export file), as a
// straight line over @atproto/oauth-client-node. The library does the OAuth:
// resolution, PAR, PKCE, DPoP, the code exchange and the issuer checks.
// atoauth does the listener, the browser, the waiting and the keeping.
import type {
  NodeOAuthClient,
  NodeSavedSessionStore,
  OAuthSession,
} from '@atproto/oauth-client-node'
import type { Context } from '../context.js'
import { startDeadline } from '../deadline.js'
import { AtoauthError, CancelledError, sessionNotKept } from '../errors.js'
import type { AccountIdentity } from '../store/account-index.js'
import { keepingTokenAnswer } from '../token-answer-hold.js'
import type { CallbackOutcome, LoopbackListener } from './listener.js'
import type { LoginOptions } from './login-options.js'

export type SignedIn = { did: string; account: AccountIdentity }

export type SignInPlan = {
  /** Where the library stores the new session (and finds the one it replaces). */
  sessionStore: NodeSavedSessionStore
  /** Must succeed before the person is sent to the browser (the keychain probe). */
  ready?: () => Promise<void>
  /** Keeps the session before the browser is answered; if it throws, the session is revoked. */
  keep?: (signedIn: SignedIn) => Promise<void>
}

export async function signIn(
  ctx: Context,
  given: LoginOptions,
  plan: SignInPlan,
): Promise<SignedIn> {
  const [{ checkIdentifier }, { LoopbackListener }, { requestedScope }] = await Promise.all([
    import('./login-options.js'),
    import('./listener.js'),
    import('./scope-check.js'),
  ])
  const identifier = await checkIdentifier(given.identifier)
  // Presets become their scopes here: the rest of the login asks for the scopes themselves.
  const options = { ...given, scope: await requestedScope(given.scope) }
  if (ctx.settings.exportedSession?.kind === 'session-env') {
    ctx.out.warn(
      'ATOAUTH_SESSION is set: this login does not use it, and the browser does not see it.',
    )
  }
  const listener = await LoopbackListener.bind(options.port)
  const timeout = startDeadline(options.timeout * 1000, ctx.signal)
  try {
    listener.onIgnored = ({ status, reason }) =>
      ctx.out.warn(`ignored ${reason} to the login listener (answered ${status}); still waiting`)
    const { redirectUri } = listener
    const { client, clientId, isThisLogin, resolution } = await loginClient(
      ctx,
      options,
      plan,
      redirectUri,
    )
    await plan.ready?.()
    // Resolution and the pushed authorization request, bounded and named by step.
    const url = await resolution.run(identifier, timeout.signal, (signal) =>
      client.authorize(identifier, { scope: options.scope, redirect_uri: redirectUri, signal }),
    )
    ctx.out.info(`Open this URL in a browser to sign in:\n\n  ${url.href}\n`)
    // From the code exchange until the session is kept, a signal waits (interrupts.ts): the server
    // has spent the code, and the session it issued must not be left unrecorded.
    const handler = (params: URLSearchParams) =>
      keepingTokenAnswer('sign-in', () => exchangeAndKeep(params))
    const exchangeAndKeep = async (params: URLSearchParams) => {
      // Translated here, so that the page says what the terminal says.
      const { session } = await client
        .callback(params, { redirect_uri: redirectUri })
        .catch(async (err: unknown) => {
          throw await loginError(err, ctx.signal, options.timeout)
        })
      // From here on a session exists at the server: whatever fails, it is revoked.
      const signedIn = await keepOrRevoke(client, session.did, async () => {
        const signedIn = await describeAccount(ctx, client, session, clientId)
        await plan.keep?.(signedIn)
        return signedIn
      })
      const detail = `atoauth is now signed in as ${signedIn.did}.`
      const outcome: CallbackOutcome = { ok: true, title: 'Logged in', detail }
      return { value: signedIn, outcome }
    }
    // Listening for this login's callback before the browser can send it.
    const answered = listener.waitForCallback({ handler, isThisLogin, signal: timeout.signal })
    answered.catch(() => {}) // awaited below
    const browser = await ctx.openBrowser(url.href, {
      command: options.browser ?? ctx.settings.browserCommand,
      disabled: !options.openBrowser,
    })
    const { waitWithCountdown, waitForRemoteBrowser } = await import('./wait.js')
    const waiting = { listener, answered, timeoutSeconds: options.timeout }
    return browser.opened
      ? await waitWithCountdown(ctx, waiting)
      : await waitForRemoteBrowser(ctx, waiting, browser.reason)
  } catch (err) {
    throw await loginError(err, ctx.signal, options.timeout)
  } finally {
    timeout.clear()
    listener.close()
  }
}

/** Built once the listener is bound: the library takes only a redirect_uri its metadata lists. */
async function loginClient(
  ctx: Context,
  options: LoginOptions,
  plan: SignInPlan,
  redirectUri: LoopbackListener['redirectUri'],
) {
  const [metadata, { MemoryStore }, { ResolutionDeadline }] = await Promise.all([
    import('./client-metadata.js'),
    import('./client.js'),
    import('./resolution-deadline.js'),
  ])
  const clientId = options.devClient
    ? metadata.developmentClientId(redirectUri, options.scope)
    : (options.clientId ?? ctx.settings.clientId)
  if (!options.devClient) metadata.assertDiscoverableClientId(clientId)
  // The PKCE verifier and DPoP key of this login never leave memory.
  const stateStore = new MemoryStore<unknown>()
  const resolution = new ResolutionDeadline(undefined, clientId)
  const client = await ctx.oauthClient({
    clientMetadata: metadata.runtimeClientMetadata({ clientId, scope: options.scope, redirectUri }),
    sessionStore: plan.sessionStore,
    stateStore,
    fetch: resolution.fetch,
    notice: (message) => ctx.out.warn(message),
  })
  const isThisLogin = (state: string) => stateStore.has(state)
  return { client, clientId, isThisLogin, resolution }
}

/** The account the library's callback() signed in (and stored), as atoauth records it. */
async function describeAccount(
  ctx: Context,
  client: NodeOAuthClient,
  session: OAuthSession,
  clientId: string,
): Promise<SignedIn> {
  const { did } = session
  const [info, identity] = await Promise.all([
    session.getTokenInfo(false),
    // Answered from the library's memory: its issuer check resolved this DID moments ago. No
    // signal: past the code exchange, Ctrl-C must not leave a stored session unrecorded.
    client.identityResolver.resolve(did),
  ])
  const handle = identity.handle === 'handle.invalid' ? did : identity.handle
  const loginAt = ctx.now().toISOString()
  const { aud: pds, iss: issuer, scope } = info
  return { did, account: { did, handle, pds, issuer, clientId, scope, loginAt } }
}

/** A session nobody can find again must not stay valid. */
async function keepOrRevoke<T>(client: NodeOAuthClient, did: string, keep: () => Promise<T>) {
  try {
    return await keep()
  } catch (err) {
    await client.revoke(did).catch(() => {})
    throw sessionNotKept(err)
  }
}

/** Turns what can go wrong during a login into a message a person can act on. */
async function loginError(err: unknown, cancel: AbortSignal, timeoutSeconds: number) {
  if (cancel.aborted) {
    const code = cancel.reason instanceof CancelledError ? cancel.reason.exitCode : undefined
    return new CancelledError('Login cancelled; nothing was stored.', code)
  }
  if (err instanceof AtoauthError) return err
  if (err instanceof Error && err.name === 'TimeoutError') {
    return new AtoauthError(
      'login_timeout',
      `No answer from the browser within ${timeoutSeconds} s.`,
      {
        hint: 'Run atoauth login again, and finish signing in sooner (or pass --timeout).',
      },
    )
  }
  const { fromLibraryError } = await import('../errors/library-errors.js')
  return fromLibraryError(err) ?? err
}
