// The browser sign-in shared by `login` (session kept in the keychain) and
// `session create` (session written to an export file): the authorization
// code flow of a public native client, with PKCE and DPoP, redirecting to a
// one-shot listener on 127.0.0.1.
import type { JsonWebKey } from 'node:crypto'
import type {
  NodeOAuthClient,
  NodeSavedSession,
  NodeSavedSessionStore,
} from '@atproto/oauth-client-node'
import { type Command, InvalidArgumentError, Option } from 'commander'
import type { Context } from '../context.js'
import { startDeadline } from '../deadline.js'
import { AtoauthError, CancelledError, describeCause, ExitCode, UsageError } from '../errors.js'
import type { AccountIdentity } from '../store/account-index.js'
import { openOAuthCache } from '../store/disk-cache.js'
import { USER_AGENT } from '../version.js'
import { DEFAULT_CLIENT_ID, DEFAULT_SCOPE } from './client-id.js'
import type { DirectAuthorization } from './direct-authorization.js'
import type { DirectSend } from './dpop-form-post.js'
import type { LoginLookups } from './login-lookups.js'
import type { CallbackHandler, LoopbackListener } from './loopback-listener.js'
import { RESOLUTION_TIMEOUT_SECONDS, ResolutionDeadline } from './resolution-deadline.js'

export type LoginFlowOptions = {
  identifier: string
  clientId: string | undefined
  devClient: boolean
  scope: string
  browser: string | undefined
  openBrowser: boolean
  /** Seconds to wait for the browser to come back. */
  timeout: number
  /** The loopback port to listen on (for an SSH tunnel); 0 picks a free one. */
  port: number
}

export type SignedIn = {
  did: string
  account: AccountIdentity
  /** Revokes the new session at the server: for a caller that cannot keep it. */
  revoke(): Promise<void>
  /**
   * Revokes an earlier session of the account at the same server, as this
   * login can without the OAuth library; false when it cannot (the caller
   * then asks the library).
   */
  revokeEarlier?(saved: NodeSavedSession, clientId: string): Promise<boolean>
}

/** The flags of every command that signs in through the browser. */
export function withLoginFlowOptions(command: Command): Command {
  return command
    .option(
      '--client-id <url>',
      'hosted client metadata URL (default: ATOAUTH_CLIENT_ID or the atoauth one)',
    )
    .option('--dev-client', 'use the atproto development client id, which needs no hosting')
    .option('--scope <scopes>', 'OAuth scopes to request', DEFAULT_SCOPE)
    .option(
      '--browser <command>',
      'command that opens the URL (default: ATOAUTH_BROWSER, else the system browser)',
    )
    .option('--no-browser', 'do not open a browser, only print the URL')
    .addOption(
      new Option('--timeout <seconds>', 'how long to wait for the browser')
        .default(300)
        .argParser(parsePositiveInteger),
    )
    .addOption(
      new Option(
        '--port <port>',
        'listen for the browser on this 127.0.0.1 port (default: any free one)',
      )
        .default(0, 'any free port')
        .argParser(parsePort),
    )
}

export function loginFlowOptions(
  identifier: string,
  flags: Record<string, unknown>,
): LoginFlowOptions {
  return {
    identifier,
    clientId: typeof flags.clientId === 'string' ? flags.clientId : undefined,
    devClient: flags.devClient === true,
    scope: String(flags.scope),
    browser: typeof flags.browser === 'string' ? flags.browser : undefined,
    openBrowser: flags.browser !== false,
    timeout: Number(flags.timeout),
    port: Number(flags.port ?? 0),
  }
}

function parsePort(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new InvalidArgumentError('expected a port number from 1 to 65535')
  }
  return n
}

function parsePositiveInteger(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) {
    throw new InvalidArgumentError('expected a whole number of seconds')
  }
  return n
}

export async function checkIdentifier(identifier: string): Promise<void> {
  if (/^https?:\/\//i.test(identifier)) {
    if (!URL.canParse(identifier)) throw new UsageError(`"${identifier}" is not a valid URL.`)
    return
  }
  const { isValidDid, isValidHandle } = await import('@atproto/syntax')
  const candidate = identifier.replace(/^@/, '')
  if (candidate.startsWith('did:') ? isValidDid(candidate) : isValidHandle(candidate)) return
  throw new UsageError(
    `"${identifier}" is not a valid handle, DID or URL.`,
    'Examples: atoauth login alice.bsky.social · atoauth login did:plc:abc123 · atoauth login https://bsky.social',
  )
}

/** The caller's part of a sign-in. */
export type SignInHooks = {
  /**
   * What must succeed before the first authorization request (the keychain
   * probe); started once the account's lookups are under way.
   */
  ready?: () => Promise<void>
  /**
   * Work for afterwards (loading modules, reading what a new session
   * replaces), started while the person is in the browser; `did` is the
   * account the login expects, when it knows.
   */
  prepare?: (did: string | undefined) => Promise<unknown>
  /**
   * Keeps the new session (e.g. in the account index) before the browser is
   * answered; if it throws, the session is revoked and the page says why.
   */
  finish?: (signedIn: SignedIn) => Promise<void>
}

/**
 * Signs in through the browser and leaves the new session in `sessionStore`
 * (stored right after the code exchange: by finishDirectly, or by the OAuth
 * client when it did the login).
 */
export async function signIn(
  ctx: Context,
  options: LoginFlowOptions,
  sessionStore: NodeSavedSessionStore,
  hooks: SignInHooks = {},
): Promise<SignedIn> {
  await checkIdentifier(options.identifier)
  const identifier = options.identifier.replace(/^@/, '')

  const [
    { LoopbackListener },
    { createOAuthClient, MemoryStore },
    { callbackProblem },
    { rememberLookups },
  ] = await Promise.all([
    import('./loopback-listener.js'),
    import('./oauth-client-factory.js'),
    import('./callback-params.js'),
    import('./login-lookups.js'),
  ])

  // A --port that is taken is reported before anything else happens; any
  // free port is bound while the first lookups are under way.
  const listening = LoopbackListener.bind(options.port)
  listening.catch(() => {}) // awaited below
  if (options.port) await listening
  const endsAt = ctx.now().getTime() + options.timeout * 1000
  const timeout = startDeadline(options.timeout * 1000, ctx.signal)
  const { signal } = timeout
  try {
    // Loaded only when needed: the OAuth schemas it checks with take a while.
    const clientMetadata = () => import('./client-metadata.js')
    // atoauth's own client_id is valid (a unit test says so); any other is
    // checked before anything is sent.
    const chosenClientId = options.clientId ?? ctx.settings.clientId
    if (!options.devClient && chosenClientId !== DEFAULT_CLIENT_ID) {
      ;(await clientMetadata()).assertDiscoverableClientId(chosenClientId)
    }
    // Who the authorization server is told the client is, and where the
    // browser comes back to: known once the listener is bound.
    let client: Promise<{ listener: LoopbackListener; clientId: string }> | undefined
    const clientReady = () =>
      (client ??= listening.then(async (listener) => {
        listener.onIgnored = ({ status, reason }) =>
          ctx.out.warn(
            `ignored ${reason} to the login listener (answered ${status}); still waiting`,
          )
        const clientId = options.devClient
          ? (await clientMetadata()).developmentClientId(listener.redirectUri, options.scope)
          : chosenClientId
        return { listener, clientId }
      }))
    // The caller's (the keychain probe): started once the lookups are, and
    // awaited before the first authorization request.
    let ready: Promise<void> | undefined
    const callerReady = () => (ready ??= Promise.resolve(hooks.ready?.()))
    // The library's, for a login it starts (see startDirectly).
    const stateStore = new MemoryStore<unknown>()
    const resolution = new ResolutionDeadline()
    // A library that takes over re-reads what this login read (login-lookups.ts).
    const lookups = rememberLookups(resolution.fetch)
    let loading: Promise<NodeOAuthClient> | undefined
    const oauthClient = () =>
      (loading ??= Promise.all([clientMetadata(), clientReady()]).then(
        ([metadata, { listener, clientId }]) =>
          createOAuthClient({
            settings: ctx.settings,
            clientMetadata: metadata.runtimeClientMetadata({
              clientId,
              scope: options.scope,
              redirectUri: listener.redirectUri,
            }),
            sessionStore,
            stateStore,
            fetch: lookups,
          }),
      ))

    // Bounded on its own: a server that never answers must not hold the login until --timeout.
    const { url, direct } = await resolution.run(identifier, signal, async (signal) => {
      const starting = startDirectly(ctx, {
        identifier,
        scope: options.scope,
        signal,
        resolution,
        lookups,
        beforePush: async () => {
          await callerReady()
          const { listener, clientId } = await clientReady()
          return { clientId, redirectUri: listener.redirectUri }
        },
      })
      callerReady().catch(() => {}) // awaited before any authorization request
      const direct = await starting
      if (direct) return { url: direct.url, direct }
      await callerReady()
      const { listener } = await clientReady()
      const url = await (await oauthClient()).authorize(identifier, {
        scope: options.scope,
        redirect_uri: listener.redirectUri,
        signal,
      })
      return { url, direct }
    })
    const { listener, clientId } = await clientReady()
    ctx.out.info(`Open this URL in a browser to sign in:\n\n  ${url.href}\n`)

    const { openBrowser } = await import('./browser.js')
    const browser = await openBrowser(url.href, {
      command: options.browser ?? ctx.settings.browserCommand,
      disabled: !options.openBrowser,
    })
    hooks.prepare?.(direct?.server.did).catch(() => {})
    // What the code exchange needs, loaded now rather than after the callback.
    if (direct) import('./direct-code-exchange.js').catch(() => {})

    const finishing: SignInFinish = { ctx, clientId, redirectUri: listener.redirectUri, signal }
    const handler = async (params: URLSearchParams) => {
      const problem = callbackProblem(params, (state) =>
        direct ? state === direct.state : stateStore.has(state),
      )
      if (problem) throw problem
      // Mapped here, so that the browser page says what the terminal says.
      const signedIn = await (direct
        ? finishDirectly(direct, params, sessionStore, oauthClient, finishing)
        : oauthClient().then((client) => finishWithLibrary(client, params, sessionStore, finishing))
      ).catch((err: unknown) => {
        throw loginError(err, ctx.signal, options.timeout)
      })
      try {
        // The page says "Logged in" only once that is true.
        await hooks.finish?.(signedIn)
      } catch (err) {
        await signedIn.revoke()
        throw err
      }
      return {
        value: signedIn,
        outcome: {
          ok: true,
          title: 'Logged in',
          detail: `atoauth is now signed in as ${signedIn.did}.`,
        },
      }
    }
    return browser.opened
      ? await waitWithCountdown(ctx, listener.waitForCallback(handler, signal), endsAt)
      : await waitForRemoteBrowser(ctx, listener, handler, signal, browser.reason, options.timeout)
  } catch (err) {
    throw loginError(err, ctx.signal, options.timeout)
  } finally {
    timeout.clear()
    listening.then(
      (listener) => listener.close(),
      () => {},
    )
  }
}

/** What finishing a sign-in needs besides the callback. */
type SignInFinish = {
  ctx: Context
  clientId: string
  redirectUri: LoopbackListener['redirectUri']
  /** The login's own (Ctrl-C, --timeout). */
  signal: AbortSignal
}

/** How long the code exchange may take: as long as the resolution before the browser. */
const CODE_EXCHANGE_TIMEOUT_MS = RESOLUTION_TIMEOUT_SECONDS * 1000

/**
 * The code exchange of a login that started without the library
 * (direct-code-exchange.ts), and the session stored. Another account than the
 * one asked for is resolved by the library, afresh.
 */
async function finishDirectly(
  direct: DirectAuthorization,
  params: URLSearchParams,
  sessionStore: NodeSavedSessionStore,
  oauthClient: () => Promise<NodeOAuthClient>,
  { ctx, clientId, redirectUri, signal }: SignInFinish,
): Promise<SignedIn> {
  const [{ exchangeCode, revokeToken }, { sendOnce }, { dpopAlgorithm }] = await Promise.all([
    import('./direct-code-exchange.js'),
    import('./plain-http.js'),
    import('./dpop-proof.js'),
  ])
  const bound = AbortSignal.any([signal, AbortSignal.timeout(CODE_EXCHANGE_TIMEOUT_MS)])
  const send: DirectSend = (url, init) =>
    sendOnce(url, {
      ...init,
      headers: { ...init.headers, 'user-agent': USER_AGENT },
      signal: init.signal ? AbortSignal.any([bound, init.signal]) : bound,
    })
  const { issuer } = direct.server
  const exchanged = await exchangeCode({
    authorization: direct,
    params,
    clientId,
    redirectUri,
    send,
    otherAccount: async (did) => {
      const client = await oauthClient()
      const options = { noCache: true, allowStale: false, signal: bound }
      const [{ metadata, pds }, identity] = await Promise.all([
        client.oauthResolver.resolveFromIdentity(did, options),
        client.identityResolver.resolve(did, options),
      ])
      const handle = identity.handle === 'handle.invalid' ? undefined : identity.handle
      return { issuer: metadata.issuer, pds: pds.href, handle }
    },
  }).catch((err: unknown) => {
    if (bound.aborted && !signal.aborted) {
      throw new AtoauthError(
        'token_request_failed',
        `${issuer} did not finish the code exchange within ${CODE_EXCHANGE_TIMEOUT_MS / 1000} s.`,
        { hint: 'Nothing was stored. Run atoauth login again.', cause: err },
      )
    }
    throw err
  })
  const { did, session, nonce } = exchanged
  const { tokenSet } = session
  // Ends a session of this account at this server, with the session's own key.
  const revokeSession = (saved: NodeSavedSession, sessionClientId: string) =>
    revokeToken(
      { server: direct.server, dpopJwk: saved.dpopJwk as JsonWebKey },
      sessionClientId,
      saved.tokenSet.refresh_token ?? saved.tokenSet.access_token,
      nonce?.value,
      send,
    ).catch(() => {})
  const revoke = () => revokeSession(session, clientId)
  try {
    await Promise.all([
      sessionStore.set(did, session),
      // For the next request to this server: it need not ask for a nonce again.
      nonce &&
        openOAuthCache<string>(ctx.settings.cacheDir, 'dpopNonces')
          .set(nonce.origin, nonce.value)
          .catch(() => {}),
    ])
  } catch (err) {
    await revoke()
    throw storeError(err)
  }
  return {
    did,
    account: {
      did,
      handle: exchanged.handle ?? did,
      pds: tokenSet.aud,
      issuer,
      clientId,
      scope: tokenSet.scope,
      loginAt: ctx.now().toISOString(),
    },
    revoke,
    revokeEarlier: async (saved, earlierClientId) => {
      if (saved.tokenSet.iss !== issuer || !dpopAlgorithm(saved.dpopJwk)) return false
      await revokeSession(saved, earlierClientId)
      return true
    },
  }
}

/** The library's callback(), for a login the library started. */
async function finishWithLibrary(
  client: NodeOAuthClient,
  params: URLSearchParams,
  sessionStore: NodeSavedSessionStore,
  { ctx, clientId, redirectUri, signal }: SignInFinish,
): Promise<SignedIn> {
  const { session } = await client.callback(params, { redirect_uri: redirectUri })
  const revoke = () => client.revoke(session.did).catch(() => {})
  try {
    // What the code exchange stored (the login's store keeps it at hand).
    const stored = await sessionStore.get(session.did)
    const info = stored?.tokenSet ?? (await session.getTokenInfo(false))
    const identity = await client.identityResolver.resolve(session.did, { signal })
    return {
      did: session.did,
      account: {
        did: session.did,
        handle: identity.handle === 'handle.invalid' ? session.did : identity.handle,
        pds: info.aud,
        issuer: info.iss,
        clientId,
        scope: info.scope,
        loginAt: ctx.now().toISOString(),
      },
      revoke,
    }
  } catch (err) {
    await revoke()
    throw err
  }
}

/**
 * The login's start without the OAuth library (direct-authorization.ts), its
 * requests bounded by the resolution deadline and remembered for the issuer
 * check. Undefined when the library must do it: an identifier that is a URL,
 * a proxy from the environment, anything unusual on the way, or a request
 * that failed (the library then says what is wrong in its usual words).
 */
async function startDirectly(
  ctx: Context,
  request: {
    identifier: string
    scope: string
    signal: AbortSignal
    resolution: ResolutionDeadline
    lookups: LoginLookups
    /** What must succeed before the authorization request, and the client it is for. */
    beforePush: () => Promise<{ clientId: string; redirectUri: string }>
  },
): Promise<DirectAuthorization | undefined> {
  const [{ authorizeDirectly }, { headerPairs, nodeUsesEnvProxy, sendOnce }] = await Promise.all([
    import('./direct-authorization.js'),
    import('./plain-http.js'),
  ])
  if (/^https?:\/\//i.test(request.identifier) || nodeUsesEnvProxy()) return undefined
  const { signal, resolution, lookups } = request
  try {
    return await authorizeDirectly({
      ...request,
      settings: ctx.settings,
      send: (url, init) =>
        resolution.send(
          url.href,
          init.signal ? AbortSignal.any([signal, init.signal]) : signal,
          async (bounded) => {
            const response = await sendOnce(url, {
              method: init.method,
              headers: { ...init.headers, 'user-agent': USER_AGENT },
              body: init.body,
              signal: bounded ?? signal,
              publicOnly: init.publicOnly,
              maxBytes: init.maxBytes,
            })
            if (init.method === 'GET') {
              lookups.remember(url.href, {
                status: response.status,
                statusText: response.statusText,
                headers: headerPairs(response.headers),
                // A copy: a small Buffer's .buffer is Node's shared pool.
                body: new Uint8Array(await response.bytes()).buffer,
              })
            }
            return response
          },
        ),
    })
  } catch {
    if (signal.aborted) throw signal.reason
    // A request that failed: the library tries again, and explains. A
    // keychain probe or a listener that failed is thrown by the caller's
    // await of it.
    return undefined
  }
}

/** The desktop case: a spinner that counts down to the timeout. */
async function waitWithCountdown<T>(ctx: Context, waiting: Promise<T>, deadline: number) {
  const text = () =>
    `Waiting for the browser to sign in… ${formatRemaining(deadline - ctx.now().getTime())} left (Ctrl-C to cancel)`
  const spinner = await ctx.out.spinner(text())
  const ticker = setInterval(() => spinner.update(text()), 1000)
  try {
    return await waiting
  } finally {
    clearInterval(ticker)
    spinner.stop()
  }
}

/**
 * No browser here (SSH, no display, --no-browser): the browser runs on
 * another device. Its redirect reaches this listener through an SSH tunnel,
 * or the person pastes the URL it ended on; the first to arrive wins.
 */
async function waitForRemoteBrowser<T>(
  ctx: Context,
  listener: LoopbackListener,
  handler: CallbackHandler<T>,
  signal: AbortSignal,
  reason: string | undefined,
  timeoutSeconds: number,
): Promise<T> {
  const { isSshSession, sshTunnelCommand } = await import('./terminal-environment.js')
  const ssh = isSshSession()
  const why = reason && reason !== '--no-browser' ? ` (${reason})` : ''
  ctx.out.info(`No browser opened here${why}: open the URL above on any device.`)
  if (ssh) {
    ctx.out.info(
      `To let that browser reach this machine, run this on it first, in another terminal:\n\n  ${sshTunnelCommand(listener.port)}\n`,
    )
  }
  // A person at a terminal can paste; in an SSH session without a TTY
  // (ssh host 'atoauth login …') stdin is still their keyboard.
  const input = ctx.stdin as NodeJS.ReadableStream & { isTTY?: boolean }
  const canPaste = input.isTTY === true || ssh
  if (canPaste) {
    ctx.out.info(
      `If the browser then shows an error page at ${listener.redirectUri}?…, copy that whole URL from its address bar and paste it here.`,
    )
  }
  ctx.out.info(`Waiting up to ${formatRemaining(timeoutSeconds * 1000)} (Ctrl-C to cancel).`)
  const waiting = listener.waitForCallback(handler, signal)
  if (!canPaste) return waiting
  const { acceptPastedCallbacks } = await import('./paste-prompt.js')
  const done = new AbortController()
  acceptPastedCallbacks(listener, {
    input,
    output: process.stderr,
    say: (message) => ctx.out.warn(message),
    signal: done.signal,
  })
  try {
    return await waiting
  } finally {
    done.abort()
  }
}

/** "4:59", "0:07": minutes and seconds left, never negative. */
export function formatRemaining(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000))
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`
}

/** Turns what can go wrong during a login into a message a person can act on. */
function loginError(err: unknown, cancel: AbortSignal, timeoutSeconds: number): unknown {
  if (cancel.aborted) return new CancelledError('Login cancelled; nothing was stored.')
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
  if (err instanceof Error && err.constructor.name === 'OAuthCallbackError') {
    const params = (err as Error & { params: URLSearchParams }).params
    const error = params.get('error')
    const description = params.get('error_description')
    if (error === 'access_denied') {
      return new AtoauthError('access_denied', 'The authorization was denied in the browser.', {
        hint: 'Run atoauth login again and choose to authorize atoauth.',
        cause: err,
      })
    }
    const what = error ? `${error}${description ? `: ${description}` : ''}` : describeCause(err)
    return new AtoauthError('authorization_failed', `The authorization failed (${what}).`, {
      hint: 'Run atoauth login again.',
      cause: err,
    })
  }
  if (err instanceof AggregateError && /Failed to store session/.test(err.message)) {
    return storeError(err)
  }
  return err
}

/** A session that could not be kept: the store's own error, or one that says so. */
function storeError(err: unknown): AtoauthError {
  if (err instanceof AtoauthError) return err
  return new AtoauthError('store_failed', `Could not save the session: ${describeCause(err)}`, {
    exitCode: ExitCode.storageUnavailable,
    cause: err,
  })
}
