// What a command's run() receives: its dependencies, built by app.ts, so
// tests can hand it fakes and commands never reach for globals.
import type { NodeOAuthClient } from '@atproto/oauth-client-node'
import type { Accounts, ResolvedAccount } from './auth/accounts.js'
import type { BrowserChoice, BrowserResult } from './auth/browser.js'
import type { OAuthClientOptions } from './auth/client.js'
import type { XrpcRequester } from './auth/session.js'
import type { Output } from './output.js'
import type { Settings } from './settings.js'

export type Context = {
  settings: Settings
  out: Output
  /** Aborted when the person presses Ctrl-C. */
  signal: AbortSignal
  now: () => Date
  /** Read only when the person asks for it (`-`); never prompted from. */
  stdin: NodeJS.ReadableStream
  /** The account index, the secret stores and exported sessions. */
  accounts: Pick<Accounts, keyof Accounts>
  /** Authenticated XRPC requests for a resolved account (warm path, else the library). */
  xrpc: (resolved: ResolvedAccount) => Promise<XrpcRequester>
  /** The OAuth library's client, built with atoauth's stores, lock and caches. */
  oauthClient: (options: OAuthClientOptions) => Promise<NodeOAuthClient>
  /** Sends the person to a URL: their browser command, the system browser, or nothing. */
  openBrowser: (url: string, choice: BrowserChoice) => Promise<BrowserResult>
  /** The account the command acts for, once known: errors then name it. */
  actingFor?: { handle: string }
}
