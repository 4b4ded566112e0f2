// Who is logged in, as the other commands will see it (accounts.json, or the exported session of
// ATOAUTH_SESSION(_FILE) that replaces it), and is each session where they will look for it?
// Sessions are only read: nothing is printed or sent (a refresh would rotate the tokens).
import type { NodeSavedSessionStore } from '@atproto/oauth-client-node'
import { accountWord, suggestCommand } from '../errors/suggested-command.js'
import { formatDuration, sessionLife } from '../session-lifetime.js'
import type { Settings } from '../settings.js'
import type { AccountRecord } from '../store/account-index.js'
import { openSecretStore } from '../store/secret-store.js'
import { SecretSessionStore } from '../store/session-store.js'
import { type Check, fail, ok, warn } from './check.js'

const NAME = 'accounts'

export type AccountToCheck = Omit<AccountRecord, 'store'> & {
  /** Where the session is kept, for the report. */
  location: string
  sessions: Pick<NodeSavedSessionStore, 'get'>
  /** Problems noticed while opening the store (e.g. a session file others can read). */
  warnings: string[]
}

/** Throws when the accounts cannot be read. */
export async function accountsCheck(
  settings: Settings,
): Promise<{ check: Check; accounts: AccountToCheck[] }> {
  const source = settings.exportedSession
  if (source) {
    const { ExportedSessionStore } = await import('../store/exported-session-store.js')
    const warnings: string[] = []
    const store = await ExportedSessionStore.open(source, { warn: (m) => warnings.push(m) })
    const { account, description } = store
    const detail = `${description} holds the session of ${account.handle}; accounts.json is not used while it is set`
    const accounts = [{ ...account, location: description, sessions: store, warnings }]
    return { check: ok(NAME, detail), accounts }
  }
  const { AccountIndex } = await import('../store/account-index.js')
  const index = await AccountIndex.load(settings.configDir)
  const accounts = await Promise.all(
    index.accounts.map(async ({ store: kind, ...record }): Promise<AccountToCheck> => {
      const store = await openSecretStore(kind, settings)
      const sessions = new SecretSessionStore(store)
      const warnings =
        store.kind === 'file'
          ? [
              'kept in plaintext (insecure storage): log in again without --insecure-storage to keep it in the OS keychain',
            ]
          : []
      return { ...record, location: store.location, sessions, warnings }
    }),
  )
  if (accounts.length === 0) return { check: ok(NAME, 'no account is logged in yet'), accounts }
  const listed = `${accounts.length} logged in (${index.path})`
  const fallback = accounts.find((a) => a.did === index.defaultDid)
  const check = fallback
    ? ok(NAME, `${listed}, default ${fallback.handle}`)
    : warn(NAME, `${listed}, but none is the default`, 'Choose one: atoauth switch <handle>')
  return { check, accounts }
}

export async function sessionCheck(account: AccountToCheck, now: Date): Promise<Check> {
  const { handle, did, location, warnings } = account
  const name = `session:${handle}`
  const loginAgain = suggestCommand`Log in again: atoauth login ${accountWord(handle)}`
  const stored = await account.sessions.get(did)
  if (!stored) return fail(name, `no session for ${did} in ${location}`, loginAgain)
  if (stored.tokenSet.sub !== did) {
    return fail(name, `the session in ${location} belongs to another account`, loginAgain)
  }
  const life = sessionLife(account, now)
  if (life.state === 'needs_login' || life.state === 'ended') {
    return fail(name, `the session has ended: ${life.reason}`, loginAgain)
  }
  const detail = `in ${location}, ends ${life.endsAt} (in ${formatDuration(life.remainingMs)})`
  if (life.state === 'ending_soon') {
    return warn(
      name,
      detail,
      suggestCommand`Log in again before then: atoauth login ${accountWord(handle)}`,
    )
  }
  if (warnings.length > 0) return warn(name, `${detail}; ${warnings.join('; ')}`)
  return ok(name, detail)
}
