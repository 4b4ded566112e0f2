// atoauth whoami: who the session belongs to, checked live at the PDS.
import { Command } from 'commander'
import { isIndexed, type SessionStorage } from '../auth/accounts.js'
import { presetsOf, scopeTokens } from '../auth/scope-presets.js'
import type { Context } from '../context.js'
import { type CommandResult, localTimeFromNow } from '../output.js'
import { SESSION_LIFETIME_MS } from '../session-lifetime.js'
import { withExamples } from './help.js'
import type { Runner } from './runner.js'

const STORAGE_DESCRIPTIONS: Record<SessionStorage, string> = {
  keychain: 'OS keychain',
  file: 'plaintext file (insecure)',
  'session-file': 'ATOAUTH_SESSION_FILE',
  'session-env': 'ATOAUTH_SESSION',
}

export function whoamiCommand(run: Runner): Command {
  const whoami = new Command('whoami').description(
    'show the account the session belongs to, its scopes and when it expires',
  )
  return withExamples(whoami, [
    'atoauth whoami',
    'atoauth whoami --account bob.bsky.social',
    'atoauth whoami --json | jq -r .sessionExpiresAt',
  ]).action((_flags, command: Command) => run(command, (ctx) => runWhoami(ctx)))
}

export async function runWhoami(ctx: Context): Promise<CommandResult> {
  const resolved = await ctx.accounts.resolve()
  const { account, storage } = resolved
  const request = await ctx.xrpc(resolved)
  const answer = await request({ method: 'GET', path: '/xrpc/com.atproto.server.getSession' })
  const { jsonOf, xrpcFailure } = await import('../auth/session.js')
  if (!answer.ok) throw xrpcFailure('com.atproto.server.getSession', answer)
  const live = jsonOf(answer.bytes) as { did: string; handle: string }
  // A handle is recorded only when it is one: the account list feeds shell completion.
  if (live.handle !== account.handle && isIndexed(storage)) {
    const { isValidHandle } = await import('@atproto/syntax')
    if (isValidHandle(live.handle)) await ctx.accounts.renamed(account.did, live.handle)
  }
  const now = ctx.now()
  const expiresAt = answer.token.expiresAt
  const sessionEnd = new Date(Date.parse(account.loginAt) + SESSION_LIFETIME_MS)
  const data = {
    did: live.did,
    handle: live.handle,
    pds: answer.token.aud,
    scope: answer.token.scope,
    scopes: scopeTokens(answer.token.scope),
    // The presets the granted scopes are made of ("post,delete"); null for any other scopes.
    preset: presetsOf(answer.token.scope)?.join(',') ?? null,
    accessTokenExpiresAt: expiresAt?.toISOString() ?? null,
    sessionExpiresAt: sessionEnd.toISOString(),
    loginAt: account.loginAt,
    clientId: account.clientId,
    store: storage,
  }
  return {
    data,
    text: [
      `${data.handle} (${data.did})`,
      `  PDS:           ${data.pds}`,
      `  scopes:        ${data.scope}${data.preset ? ` (preset ${data.preset})` : ''}`,
      `  access token:  expires ${expiresAt ? localTimeFromNow(expiresAt, now) : 'never'}`,
      `  session:       ends ${localTimeFromNow(sessionEnd, now)}, 14 days after login`,
      `  stored in:     ${STORAGE_DESCRIPTIONS[storage]}`,
    ],
  }
}
