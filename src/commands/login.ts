// atoauth login <handle | did | url>: the OAuth authorization code flow of a
// public native client, with PKCE and DPoP, redirecting to a one-shot
// listener on 127.0.0.1.
import { Command, InvalidArgumentError, Option } from 'commander'
import type { Context } from '../context.js'
import { AtoauthError, CancelledError, describeCause, ExitCode, UsageError } from '../errors.js'
import { DEFAULT_SCOPE } from '../oauth/client-id.js'
import type { CommandResult } from '../output.js'
import type { Runner } from './runner.js'

export type LoginOptions = {
  identifier: string
  clientId: string | undefined
  devClient: boolean
  scope: string
  browser: string | undefined
  openBrowser: boolean
  /** Seconds to wait for the browser to come back. */
  timeout: number
}

export function loginCommand(run: Runner): Command {
  return new Command('login')
    .description('sign in to an account with OAuth in the browser')
    .argument('<account>', 'handle (alice.bsky.social), DID, or PDS / entryway URL')
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
    .action((identifier: string, flags, command: Command) =>
      run(command, (ctx) =>
        runLogin(
          {
            identifier,
            clientId: flags.clientId,
            devClient: flags.devClient === true,
            scope: flags.scope,
            browser: typeof flags.browser === 'string' ? flags.browser : undefined,
            openBrowser: flags.browser !== false,
            timeout: flags.timeout,
          },
          ctx,
        ),
      ),
    )
}

function parsePositiveInteger(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError('expected a whole number of seconds')
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

export async function runLogin(options: LoginOptions, ctx: Context): Promise<CommandResult> {
  await checkIdentifier(options.identifier)
  const identifier = options.identifier.replace(/^@/, '')

  const [
    { openStore },
    { LoopbackListener },
    metadata,
    { createOAuthClient },
    { SecretSessionStore },
  ] = await Promise.all([
    import('../oauth/account-session.js'),
    import('../oauth/loopback-listener.js'),
    import('../oauth/client-metadata.js'),
    import('../oauth/oauth-client-factory.js'),
    import('../store/session-store.js'),
  ])

  // Prove the keychain works before the person spends time in the browser.
  const secrets = await openStore(ctx, ctx.settings.storeKind)
  await secrets.probe()

  const listener = await LoopbackListener.bind()
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(options.timeout * 1000)])
  try {
    const clientId = options.devClient
      ? metadata.developmentClientId(listener.redirectUri, options.scope)
      : (options.clientId ?? ctx.settings.clientId)
    if (!options.devClient) metadata.assertDiscoverableClientId(clientId)
    const client = await createOAuthClient({
      settings: ctx.settings,
      clientMetadata: metadata.runtimeClientMetadata({
        clientId,
        scope: options.scope,
        redirectUri: listener.redirectUri,
      }),
      sessionStore: new SecretSessionStore(secrets),
    })

    const url = await client.authorize(identifier, {
      scope: options.scope,
      redirect_uri: listener.redirectUri,
      signal,
    })
    ctx.out.info(`Open this URL in a browser to sign in:\n\n  ${url.href}\n`)

    const { openBrowser } = await import('../oauth/browser.js')
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

    const info = await session.getTokenInfo(false)
    const identity = await client.identityResolver.resolve(session.did, { signal })
    const record = {
      did: session.did,
      handle: identity.handle === 'handle.invalid' ? session.did : identity.handle,
      pds: info.aud,
      issuer: info.iss,
      clientId,
      scope: info.scope,
      store: secrets.kind,
      loginAt: ctx.now().toISOString(),
    }
    const { AccountIndex } = await import('../store/account-index.js')
    const index = await AccountIndex.load(ctx.settings.configDir)
    index.upsert(record, { makeDefault: true })
    try {
      await index.save()
    } catch (err) {
      // A session nobody can find again must not stay valid at the server.
      await client.revoke(session.did).catch(() => {})
      throw err
    }

    return {
      data: {
        did: record.did,
        handle: record.handle,
        pds: record.pds,
        scope: record.scope,
        store: record.store,
      },
      text: [`Logged in as ${record.handle} (${record.did}) on ${record.pds}`],
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
