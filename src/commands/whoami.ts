// atoauth whoami: who the session belongs to, checked live at the PDS.
import { Command } from 'commander'
import type { Context } from '../context.js'
import { NetworkError, SessionEndedError } from '../errors.js'
import type { ResolvedAccount, SessionStorage } from '../oauth/account-session.js'
import type { PlainResponse } from '../oauth/plain-http.js'
import type { CommandResult } from '../output.js'
import { SESSION_LIFETIME_MS } from '../session-lifetime.js'
import type { AccountIdentity } from '../store/account-index.js'
import type { Runner } from './runner.js'

const STORAGE_DESCRIPTIONS: Record<SessionStorage, string> = {
  keychain: 'OS keychain',
  file: 'plaintext file (insecure)',
  'session-file': 'ATOAUTH_SESSION_FILE',
  'session-env': 'ATOAUTH_SESSION',
}

export function whoamiCommand(run: Runner): Command {
  return new Command('whoami')
    .description('show the account the session belongs to, its scopes and when it expires')
    .action((_flags, command: Command) => run(command, (ctx) => runWhoami(ctx)))
}

const GET_SESSION = '/xrpc/com.atproto.server.getSession'

type Answered = {
  account: AccountIdentity
  storage: SessionStorage
  res: Pick<PlainResponse, 'status' | 'ok' | 'json'>
  info: { aud: string; scope: string; expiresAt?: Date }
}

export async function runWhoami(ctx: Context): Promise<CommandResult> {
  const { resolveAccount } = await import('../oauth/account-session.js')
  const resolved = await resolveAccount(ctx)
  const { account, storage, res, info } =
    (await warmWhoami(ctx, resolved)) ?? (await fullWhoami(ctx, resolved))
  if (res.status === 401) {
    throw new SessionEndedError(account.handle, 'the PDS no longer accepts it')
  }
  if (!res.ok) {
    throw new NetworkError(`The PDS answered ${res.status} to com.atproto.server.getSession.`)
  }
  const live = (await res.json()) as { did: string; handle: string }
  if (live.handle !== account.handle && (storage === 'keychain' || storage === 'file')) {
    // The handle changed since login: keep `accounts` and --account <handle> right.
    const { AccountIndex } = await import('../store/account-index.js')
    await AccountIndex.update(ctx.settings.configDir, (index) => {
      const record = index.accounts.find((a) => a.did === account.did)
      if (record) index.upsert({ ...record, handle: live.handle }, { makeDefault: false })
    })
  }
  const sessionExpiresAt = new Date(Date.parse(account.loginAt) + SESSION_LIFETIME_MS)
  const data = {
    did: live.did,
    handle: live.handle,
    pds: info.aud,
    scope: info.scope,
    accessTokenExpiresAt: info.expiresAt?.toISOString() ?? null,
    sessionExpiresAt: sessionExpiresAt.toISOString(),
    loginAt: account.loginAt,
    clientId: account.clientId,
    store: storage,
  }
  return {
    data,
    text: [
      `${data.handle} (${data.did})`,
      `  PDS:           ${data.pds}`,
      `  scopes:        ${data.scope}`,
      `  access token:  expires ${data.accessTokenExpiresAt ?? 'never'}`,
      `  session:       ends ${data.sessionExpiresAt} (14 days after login)`,
      `  stored in:     ${STORAGE_DESCRIPTIONS[storage]}`,
    ],
  }
}

/**
 * A valid access token in the keychain: one signed request, without loading
 * the OAuth client. Undefined when the full path must answer instead.
 */
async function warmWhoami(ctx: Context, resolved: ResolvedAccount): Promise<Answered | undefined> {
  const { warmAccountRequest } = await import('../oauth/warm-request.js')
  const warm = await warmAccountRequest(ctx, resolved, { method: 'GET', path: GET_SESSION })
  if (!warm) return undefined
  const { tokenSet } = warm
  return {
    account: resolved.account,
    storage: resolved.storage,
    res: warm.response,
    info: {
      aud: tokenSet.aud,
      scope: tokenSet.scope,
      expiresAt: tokenSet.expires_at ? new Date(tokenSet.expires_at) : undefined,
    },
  }
}

/** Through the OAuth client: restores the session, refreshing it when due. */
async function fullWhoami(ctx: Context, resolved: ResolvedAccount): Promise<Answered> {
  const { restoreAccountSession } = await import('../oauth/account-session.js')
  const { account, storage, session } = await restoreAccountSession(ctx, resolved)
  const res = await session.fetchHandler(GET_SESSION, { signal: ctx.signal })
  return { account, storage, res, info: await session.getTokenInfo(false) }
}
