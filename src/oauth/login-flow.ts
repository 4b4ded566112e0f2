// The browser sign-in shared by `login` (session kept in the keychain) and
// `session create` (session written to an export file): the authorization
// code flow of a public native client, with PKCE and DPoP, redirecting to a
// one-shot listener on 127.0.0.1.
import type {
  NodeOAuthClient,
  NodeSavedSessionStore,
  OAuthSession,
} from '@atproto/oauth-client-node'
import { type Command, InvalidArgumentError, Option } from 'commander'
import type { Context } from '../context.js'
import { startDeadline } from '../deadline.js'
import { AtoauthError, CancelledError, describeCause, ExitCode, UsageError } from '../errors.js'
import type { AccountIdentity } from '../store/account-index.js'
import { openOAuthCache } from '../store/disk-cache.js'
import { USER_AGENT } from '../version.js'
import { DEFAULT_SCOPE } from './client-id.js'
import type { DirectAuthorization } from './direct-authorization.js'
import type { LoginLookups } from './login-lookups.js'
import type { CallbackHandler, LoopbackListener } from './loopback-listener.js'
import { ResolutionDeadline } from './resolution-deadline.js'
import { resolutionError } from './resolution-errors.js'

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
  session: OAuthSession
  account: AccountIdentity
  /** Revokes the new session at the server: for a caller that cannot keep it. */
  revoke(): Promise<void>
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
  /** What must have succeeded before the first authorization request (the keychain probe). */
  ready?: Promise<void>
  /** Work for afterwards (loading modules), started while the person is in the browser. */
  prepare?: () => Promise<unknown>
  /**
   * Keeps the new session (e.g. in the account index) before the browser is
   * answered; if it throws, the session is revoked and the page says why.
   */
  finish?: (signedIn: SignedIn) => Promise<void>
}

/**
 * Signs in through the browser and leaves the new session in `sessionStore`
 * (the OAuth client saves it there during the code exchange).
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
    metadata,
    { createOAuthClient, MemoryStore },
    { callbackProblem },
    { rememberLookups },
  ] = await Promise.all([
    import('./loopback-listener.js'),
    import('./client-metadata.js'),
    import('./oauth-client-factory.js'),
    import('./callback-params.js'),
    import('./login-lookups.js'),
  ])

  const listener = await LoopbackListener.bind(options.port)
  const endsAt = ctx.now().getTime() + options.timeout * 1000
  const timeout = startDeadline(options.timeout * 1000, ctx.signal)
  const { signal } = timeout
  listener.onIgnored = ({ status, reason }) =>
    ctx.out.warn(`ignored ${reason} to the login listener (answered ${status}); still waiting`)
  try {
    const clientId = options.devClient
      ? metadata.developmentClientId(listener.redirectUri, options.scope)
      : (options.clientId ?? ctx.settings.clientId)
    if (!options.devClient) metadata.assertDiscoverableClientId(clientId)
    // Ours, so that a callback can be checked against the logins in flight.
    const stateStore = new MemoryStore<unknown>()
    const resolution = new ResolutionDeadline()
    // The issuer check after the code exchange re-reads what resolution read.
    const lookups = rememberLookups(resolution.fetch)
    let savedNonce: Promise<void> = Promise.resolve()
    let loading: Promise<NodeOAuthClient> | undefined
    const oauthClient = () =>
      (loading ??= savedNonce.then(() =>
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
      const direct = await startDirectly(ctx, {
        ready: hooks.ready,
        identifier,
        clientId,
        redirectUri: listener.redirectUri,
        scope: options.scope,
        signal,
        resolution,
        lookups,
      })
      if (!direct) {
        await hooks.ready
        const url = await (await oauthClient()).authorize(identifier, {
          scope: options.scope,
          redirect_uri: listener.redirectUri,
          signal,
        })
        return { url, direct }
      }
      await stateStore.set(direct.state, direct.savedState)
      // The code exchange then starts with the nonce the PAR got.
      const { nonce } = direct
      if (nonce) {
        savedNonce = openOAuthCache<string>(ctx.settings.cacheDir, 'dpopNonces').set(
          nonce.origin,
          nonce.value,
        )
      }
      return { url: direct.url, direct }
    })
    ctx.out.info(`Open this URL in a browser to sign in:\n\n  ${url.href}\n`)

    const { openBrowser } = await import('./browser.js')
    const browser = await openBrowser(url.href, {
      command: options.browser ?? ctx.settings.browserCommand,
      disabled: !options.openBrowser,
    })
    // While the person is in the browser: load the library, and let it judge
    // what the direct start found (its checks, and its caches filled for the
    // code exchange, from what this login received). The callback waits.
    const judged = direct
      ? oauthClient().then(async (client) => {
          const { metadata } = await client.oauthResolver.resolveFromIdentity(identifier, {
            signal,
          })
          if (metadata.issuer !== direct.savedState.iss) {
            throw new Error(`Issuer mismatch: ${metadata.issuer} for ${identifier}`)
          }
        })
      : oauthClient()
    judged.catch(() => {})
    hooks.prepare?.().catch(() => {})

    const handler = async (params: URLSearchParams) => {
      const problem = callbackProblem(params, (state) => stateStore.has(state))
      if (problem) throw problem
      // Mapped here, so that the browser page says what the terminal says.
      await judged.catch((err: unknown) => {
        throw resolutionError(err, identifier) ?? err
      })
      const client = await oauthClient()
      const { session } = await client
        .callback(params, { redirect_uri: listener.redirectUri })
        .catch((err: unknown) => {
          throw loginError(err, ctx.signal, options.timeout)
        })
      const revoke = () => client.revoke(session.did).catch(() => {})
      try {
        // What the code exchange stored (the login's store keeps it at hand).
        const stored = await sessionStore.get(session.did)
        const info = stored?.tokenSet ?? (await session.getTokenInfo(false))
        const identity = await client.identityResolver.resolve(session.did, { signal })
        const signedIn: SignedIn = {
          session,
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
        // The page says "Logged in" only once that is true.
        await hooks.finish?.(signedIn)
        return {
          value: signedIn,
          outcome: {
            ok: true,
            title: 'Logged in',
            detail: `atoauth is now signed in as ${session.did}.`,
          },
        }
      } catch (err) {
        await revoke()
        throw err
      }
    }
    return browser.opened
      ? await waitWithCountdown(ctx, listener.waitForCallback(handler, signal), endsAt)
      : await waitForRemoteBrowser(ctx, listener, handler, signal, browser.reason, options.timeout)
  } catch (err) {
    throw loginError(err, ctx.signal, options.timeout)
  } finally {
    timeout.clear()
    listener.close()
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
    clientId: string
    redirectUri: string
    scope: string
    signal: AbortSignal
    resolution: ResolutionDeadline
    lookups: LoginLookups
    ready: Promise<void> | undefined
  },
): Promise<DirectAuthorization | undefined> {
  const [{ authorizeDirectly }, { headerPairs, nodeUsesEnvProxy, sendOnce }] = await Promise.all([
    import('./direct-authorization.js'),
    import('./plain-http.js'),
  ])
  if (/^https?:\/\//i.test(request.identifier) || nodeUsesEnvProxy()) return undefined
  const { signal, resolution, lookups, ready } = request
  try {
    return await authorizeDirectly({
      ...request,
      beforePush: async () => {
        await ready
      },
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
    // keychain probe that failed is thrown by the caller's await of it.
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
    return new AtoauthError('store_failed', `Could not save the session: ${describeCause(err)}`, {
      exitCode: ExitCode.storageUnavailable,
      cause: err,
    })
  }
  return err
}
