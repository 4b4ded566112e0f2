// atoauth whoami: who the session belongs to, checked live at the PDS.
import { Command } from 'commander'
import type { Context } from '../context.js'
import { NetworkError, SessionEndedError } from '../errors.js'
import type { CommandResult } from '../output.js'
import type { Runner } from './runner.js'

/** Public-client sessions end this long after login, however often they are used. */
export const SESSION_LIFETIME_MS = 14 * 24 * 60 * 60 * 1000

export function whoamiCommand(run: Runner): Command {
  return new Command('whoami')
    .description('show the account the session belongs to, its scopes and when it expires')
    .action((_flags, command: Command) => run(command, (ctx) => runWhoami(ctx)))
}

export async function runWhoami(ctx: Context): Promise<CommandResult> {
  const { restoreAccountSession } = await import('../oauth/account-session.js')
  const { record, session } = await restoreAccountSession(ctx)
  const res = await session.fetchHandler('/xrpc/com.atproto.server.getSession')
  if (res.status === 401) {
    throw new SessionEndedError(record.handle, 'the PDS no longer accepts it')
  }
  if (!res.ok) {
    throw new NetworkError(`The PDS answered ${res.status} to com.atproto.server.getSession.`)
  }
  const live = (await res.json()) as { did: string; handle: string }
  const info = await session.getTokenInfo(false)
  const sessionExpiresAt = new Date(Date.parse(record.loginAt) + SESSION_LIFETIME_MS)
  const data = {
    did: live.did,
    handle: live.handle,
    pds: info.aud,
    scope: info.scope,
    accessTokenExpiresAt: info.expiresAt?.toISOString() ?? null,
    sessionExpiresAt: sessionExpiresAt.toISOString(),
    loginAt: record.loginAt,
    clientId: record.clientId,
    store: record.store,
  }
  return {
    data,
    text: [
      `${data.handle} (${data.did})`,
      `  PDS:           ${data.pds}`,
      `  scopes:        ${data.scope}`,
      `  access token:  expires ${data.accessTokenExpiresAt ?? 'never'}`,
      `  session:       ends ${data.sessionExpiresAt} (14 days after login)`,
      `  stored in:     ${data.store === 'file' ? 'plaintext file (insecure)' : 'OS keychain'}`,
    ],
  }
}
