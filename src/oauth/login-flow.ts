// The browser sign-in shared by `login` (session kept in the keychain) and
// `session create` (session written to an export file): the authorization
// code flow of a public native client, with PKCE and DPoP, redirecting to a
// one-shot listener on 127.0.0.1.
import type { NodeSavedSessionStore, OAuthSession } from '@atproto/oauth-client-node'
import { type Command, InvalidArgumentError, Option } from 'commander'
import type { Context } from '../context.js'
import { AtoauthError, CancelledError, describeCause, ExitCode, UsageError } from '../errors.js'
import type { AccountIdentity } from '../store/account-index.js'
import { DEFAULT_SCOPE } from './client-id.js'
import { ResolutionDeadline } from './resolution-deadline.js'

export type LoginFlowOptions = {
  identifier: string
  clientId: string | undefined
  devClient: boolean
  scope: string
  browser: string | undefined
  openBrowser: boolean
  /** Seconds to wait for the browser to come back. */
  timeout: number
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
  }
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

/**
 * Signs in through the browser and leaves the new session in `sessionStore`
 * (the OAuth client saves it there during the code exchange).
 */
export async function signIn(
  ctx: Context,
  options: LoginFlowOptions,
  sessionStore: NodeSavedSessionStore,
): Promise<SignedIn> {
  await checkIdentifier(options.identifier)
  const identifier = options.identifier.replace(/^@/, '')

  const [{ LoopbackListener }, metadata, { createOAuthClient }] = await Promise.all([
    import('./loopback-listener.js'),
    import('./client-metadata.js'),
    import('./oauth-client-factory.js'),
  ])

  const listener = await LoopbackListener.bind()
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(options.timeout * 1000)])
  try {
    const clientId = options.devClient
      ? metadata.developmentClientId(listener.redirectUri, options.scope)
      : (options.clientId ?? ctx.settings.clientId)
    if (!options.devClient) metadata.assertDiscoverableClientId(clientId)
    const resolution = new ResolutionDeadline()
    const client = await createOAuthClient({
      settings: ctx.settings,
      clientMetadata: metadata.runtimeClientMetadata({
        clientId,
        scope: options.scope,
        redirectUri: listener.redirectUri,
      }),
      sessionStore,
      fetch: resolution.fetch,
    })

    // Bounded on its own: a server that never answers must not hold the login until --timeout.
    const url = await resolution.run(identifier, signal, (signal) =>
      client.authorize(identifier, {
        scope: options.scope,
        redirect_uri: listener.redirectUri,
        signal,
      }),
    )
    ctx.out.info(`Open this URL in a browser to sign in:\n\n  ${url.href}\n`)

    const { openBrowser } = await import('./browser.js')
    const browser = await openBrowser(url.href, {
      command: options.browser ?? ctx.settings.browserCommand,
      disabled: !options.openBrowser,
    })
    if (!browser.opened && browser.reason !== '--no-browser') {
      ctx.out.info(`Could not open a browser (${browser.reason}): open the URL above yourself.`)
    }

    const spinner = await ctx.out.spinner('Waiting for the browser to sign in… (Ctrl-C to cancel)')
    const session = await listener
      .waitForCallback(async (params) => {
        // Mapped here, so that the browser page says what the terminal says.
        const { session } = await client
          .callback(params, { redirect_uri: listener.redirectUri })
          .catch((err: unknown) => {
            throw loginError(err, ctx.signal, options.timeout)
          })
        return {
          value: session,
          outcome: {
            ok: true,
            title: 'Logged in',
            detail: `atoauth is now signed in as ${session.did}.`,
          },
        }
      }, signal)
      .finally(() => spinner.stop())

    const revoke = () => client.revoke(session.did).catch(() => {})
    try {
      const info = await session.getTokenInfo(false)
      const identity = await client.identityResolver.resolve(session.did, { signal })
      const account: AccountIdentity = {
        did: session.did,
        handle: identity.handle === 'handle.invalid' ? session.did : identity.handle,
        pds: info.aud,
        issuer: info.iss,
        clientId,
        scope: info.scope,
        loginAt: ctx.now().toISOString(),
      }
      return { session, account, revoke }
    } catch (err) {
      await revoke()
      throw err
    }
  } catch (err) {
    throw loginError(err, ctx.signal, options.timeout)
  } finally {
    listener.close()
  }
}

/** Turns what can go wrong during a login into a message a person can act on. */
function loginError(err: unknown, cancel: AbortSignal, timeoutSeconds: number): unknown {
  if (err instanceof AtoauthError) return err
  if (cancel.aborted) return new CancelledError('Login cancelled.')
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
