// The flags of every command that signs in through the browser (`login`,
// `session create`), and the check of what the person typed, made before
// anything is sent.
import { type Command, InvalidArgumentError, Option } from 'commander'
import { UsageError } from '../errors.js'

export type LoginOptions = {
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

export function withLoginOptions(command: Command): Command {
  return command
    .option(
      '--client-id <url>',
      'hosted client metadata URL (default: ATOAUTH_CLIENT_ID or the atoauth one)',
    )
    .option('--dev-client', 'use the atproto development client id, which needs no hosting')
    .option(
      '--scope <presets|scopes>',
      'what the session may do: presets (full, post, delete, read) and atproto scopes, comma-separated',
      'full',
    )
    .option(
      '--browser <command>',
      'command that opens the URL (default: ATOAUTH_BROWSER, else the system browser)',
    )
    .option('--no-browser', 'do not open a browser, only print the URL')
    .addOption(
      new Option('--timeout <seconds>', 'how long to wait for the browser')
        .default(300)
        .argParser(wholeNumber(1, Infinity, 'expected a whole number of seconds')),
    )
    .addOption(
      new Option('--port <port>', 'listen for the browser on this 127.0.0.1 port')
        .default(0, 'any free port')
        .argParser(wholeNumber(1, 65535, 'expected a port number from 1 to 65535')),
    )
}

export function loginOptions(identifier: string, flags: Record<string, unknown>): LoginOptions {
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

/** A handle, DID or http(s) URL, with a leading @ dropped; anything else is a usage error. */
export async function checkIdentifier(identifier: string): Promise<string> {
  if (/^https?:\/\//i.test(identifier)) {
    if (!URL.canParse(identifier)) throw new UsageError(`"${identifier}" is not a valid URL.`)
    return identifier
  }
  const { isValidDid, isValidHandle } = await import('@atproto/syntax')
  const candidate = identifier.replace(/^@/, '')
  if (candidate.startsWith('did:') ? isValidDid(candidate) : isValidHandle(candidate)) {
    return candidate
  }
  throw new UsageError(
    `"${identifier}" is not a valid handle, DID or URL.`,
    'Examples: atoauth login alice.bsky.social · atoauth login did:plc:abc123 · atoauth login https://bsky.social',
  )
}

/** A commander parser of a whole number from `min` to `max`, or the usage error `expected`. */
function wholeNumber(min: number, max: number, expected: string) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(expected)
    return n
  }
}
