// Who is logged in, as the other commands will see it: the account index
// (accounts.json) — or, when ATOAUTH_SESSION / ATOAUTH_SESSION_FILE is set,
// the exported session that replaces it. Also hands the accounts on to the
// per-account checks, each with a way to read its stored session.
import { AtoauthError, describeCause } from '../errors.js'
import type { SessionStorage } from '../oauth/accounts.js'
import type { Settings, StoreKind } from '../settings.js'
import type { AccountIdentity } from '../store/account-index.js'
import { openSecretStore, type SecretStore } from '../store/secret-store.js'
import { type Check, fail, ok, warn } from './check.js'

const NAME = 'accounts'

export type AccountToCheck = AccountIdentity & {
  storage: SessionStorage
  /** Where the session is kept, for the report. */
  location: string
  /** The stored session, parsed; undefined when there is none. Never refreshes it. */
  readSession(): Promise<unknown>
  /** Problems noticed while opening the store (e.g. a session file others can read). */
  warnings: string[]
  /** Set when a command already saw this session end. */
  needsLogin?: { since: string; reason: string }
}

export type AccountsCheck = { check: Check; accounts: AccountToCheck[] }

export async function accountsCheck(settings: Settings): Promise<AccountsCheck> {
  try {
    return settings.exportedSession
      ? await exportedAccount(settings.exportedSession)
      : await indexedAccounts(settings)
  } catch (err) {
    const hint = err instanceof AtoauthError ? err.hint : undefined
    return { check: fail(NAME, describeCause(err), hint), accounts: [] }
  }
}

async function exportedAccount(
  source: NonNullable<Settings['exportedSession']>,
): Promise<AccountsCheck> {
  const { ExportedSessionStore } = await import('../store/exported-session-store.js')
  const warnings: string[] = []
  const store = await ExportedSessionStore.open(source, { warn: (m) => warnings.push(m) })
  const { account } = store
  return {
    check: ok(
      NAME,
      `${store.description} holds the session of ${account.handle}; accounts.json is not used while it is set`,
    ),
    accounts: [
      {
        ...account,
        storage: source.kind,
        location: store.description,
        readSession: () => store.get(account.did),
        warnings,
      },
    ],
  }
}

async function indexedAccounts(settings: Settings): Promise<AccountsCheck> {
  const { AccountIndex } = await import('../store/account-index.js')
  const index = await AccountIndex.load(settings.configDir)
  const stores = new Map<StoreKind, Promise<SecretStore>>()
  const storeFor = (kind: StoreKind) => {
    let store = stores.get(kind)
    if (!store) {
      store = openSecretStore(kind, settings)
      stores.set(kind, store)
    }
    return store
  }
  const accounts = await Promise.all(
    index.accounts.map(async (record): Promise<AccountToCheck> => {
      const store = await storeFor(record.store)
      return {
        ...record,
        storage: record.store,
        location: store.location,
        readSession: async () => parseStored(await store.get(record.did), store.location),
        warnings: [],
      }
    }),
  )
  if (accounts.length === 0) {
    return { check: ok(NAME, 'no account is logged in yet'), accounts }
  }
  const listed = `${accounts.length} logged in (${index.path})`
  const fallback = accounts.find((a) => a.did === index.defaultDid)
  if (!fallback) {
    return {
      check: warn(
        NAME,
        `${listed}, but none is the default`,
        'Choose one: atoauth switch <handle>',
      ),
      accounts,
    }
  }
  return { check: ok(NAME, `${listed}, default ${fallback.handle}`), accounts }
}

function parseStored(text: string | undefined, location: string): unknown {
  if (text === undefined) return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw new AtoauthError('session_unreadable', `the session in ${location} is not JSON`, {
      hint: 'Log in again to replace it.',
    })
  }
}
