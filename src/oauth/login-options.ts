// The flags of every command that signs in through the browser (`login`,
// `session create`), and the check of what the person typed, made before
// anything is sent.
import { type Command, InvalidArgumentError, Option } from 'commander'
import { UsageError } from '../errors.js'
import { DEFAULT_SCOPE } from './client-id.js'

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
