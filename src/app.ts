// Builds what a command gets (its Context): the one place that knows how the
// parts are made, in the spirit of gh's Factory. Heavy parts (the OAuth
// client, @atproto/api) are loaded only when a command asks for them.

import { Accounts } from './auth/accounts.js'
import type { Context } from './context.js'
import type { Output } from './output.js'
import type { Settings } from './settings.js'

export function createContext(settings: Settings, out: Output, signal: AbortSignal): Context {
  const ctx: Context = {
    settings,
    out,
    signal,
    now: () => new Date(),
    stdin: process.stdin,
    accounts: new Accounts(settings, (message) => out.warn(message)),
    xrpc: async (resolved) => {
      const { XrpcSession } = await import('./auth/session.js')
      return new XrpcSession(ctx, resolved).request
    },
    oauthClient: async (options) =>
      (await import('./auth/client.js')).createOAuthClient(settings, options),
    openBrowser: async (url, choice) =>
      (await import('./auth/browser.js')).openBrowser(url, choice),
  }
  return ctx
}
