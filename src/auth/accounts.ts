// One facade over where accounts live: the account index (non-secret, in the
// config dir), the secret stores (keychain, or the opted-in plaintext file)
// and an exported session (ATOAUTH_SESSION / ATOAUTH_SESSION_FILE), which
// stands in for both. Commands ask it, never the stores themselves.
import type { NodeSavedSessionStore } from '@atproto/oauth-client-node'
import { UsageError } from '../errors.js'
import type { ExportedSessionSource, Settings, StoreKind } from '../settings.js'
import {
  type AccountIdentity,
  AccountIndex,
  type AccountRecord,
  isAccount,
} from '../store/account-index.js'
import { openSecretStore, type SecretStore, withWriteNotice } from '../store/secret-store.js'
import { SecretSessionStore } from '../store/session-store.js'

/** Where a command's session lives: reported by whoami and accounts. */
export type SessionStorage = StoreKind | ExportedSessionSource['kind']

export type ResolvedAccount = {
  account: AccountIdentity
  storage: SessionStorage
  sessionStore: NodeSavedSessionStore
  /** Set when an earlier command saw the session end. */
  needsLogin?: { since: string; reason: string }
}

export type NeedsLogin = NonNullable<ResolvedAccount['needsLogin']>

/** Whether the session is one of this machine's accounts (not an exported session). */
export function isIndexed(storage: SessionStorage): storage is StoreKind {
  return storage === 'keychain' || storage === 'file'
}

export type ListedAccount = Pick<AccountRecord, 'did' | 'handle' | 'pds' | 'loginAt' | 'scope'> & {
  store: SessionStorage
  default: boolean
  needsLogin?: NeedsLogin
}

export class Accounts {
  readonly #settings: Settings
  readonly #warn: (message: string) => void
  /** Whether this process said that it wrote a session in plaintext: once is enough. */
  #saidPlaintext = false

  constructor(settings: Settings, warn: (message: string) => void) {
    this.#settings = settings
    this.#warn = warn
  }

  /** The account named by handle or DID (default: --account / ATOAUTH_ACCOUNT / the default one). */
  async resolve(handleOrDid = this.#settings.account): Promise<ResolvedAccount> {
    const source = this.#settings.exportedSession
    if (source) {
      const { ExportedSessionStore } = await import('../store/exported-session-store.js')
      const store = await ExportedSessionStore.open(source, { warn: this.#warn })
      if (handleOrDid !== undefined && !isAccount(store.account, handleOrDid)) {
        throw new UsageError(
          `${store.description} holds the session of ${store.account.handle}, not of ${handleOrDid}.`,
          'Drop --account / ATOAUTH_ACCOUNT, or unset the exported session to use the keychain.',
        )
      }
      return { account: store.account, storage: source.kind, sessionStore: store }
    }
    const { needsLogin, store, ...account } = (await this.#index()).resolve(handleOrDid)
    return {
      account,
      storage: store,
      sessionStore: await this.sessionStore(store),
      ...(needsLogin ? { needsLogin } : {}),
    }
  }

  /** Every account this machine acts for: the index, or the exported session alone. */
  async list(): Promise<ListedAccount[]> {
    if (this.#settings.exportedSession) {
      const { account, storage } = await this.resolve()
      const { did, handle, pds, loginAt, scope } = account
      return [{ did, handle, pds, loginAt, scope, store: storage, default: true }]
    }
    const index = await this.#index()
    return index.accounts.map(({ did, handle, pds, store, loginAt, scope, needsLogin }) => ({
      did,
      handle,
      pds,
      loginAt,
      scope,
      store,
      default: did === index.defaultDid,
      ...(needsLogin ? { needsLogin } : {}),
    }))
  }

  /**
   * A secret store. Writing a session to the plaintext one (a login, a refresh) says so on
   * stderr, once a process; reading it does not: a warning on every command is one people learn
   * to skip. `status` and `doctor` name the plaintext sessions too.
   */
  async openStore(kind: StoreKind): Promise<SecretStore> {
    const store = await openSecretStore(kind, this.#settings, { notice: this.#warn })
    if (store.kind !== 'file') return store
    return withWriteNotice(store, () => {
      if (this.#saidPlaintext) return
      this.#saidPlaintext = true
      this.#warn(
        `using insecure plaintext session storage: the session was written to ${store.location}`,
      )
    })
  }

  async sessionStore(kind: StoreKind): Promise<NodeSavedSessionStore> {
    return new SecretSessionStore(await this.openStore(kind))
  }

  /** Records a new login as the default account; returns the record it replaced. */
  saveLogin(record: AccountRecord): Promise<AccountRecord | undefined> {
    return this.#update((index) => {
      const previous = index.accounts.find((a) => a.did === record.did)
      index.upsert(record, { makeDefault: true })
      return previous
    })
  }

  forget(did: string): Promise<void> {
    return this.#update((index) => index.remove(did))
  }

  /** Later commands then say the session ended without asking the server. */
  markNeedsLogin(did: string, needsLogin: NeedsLogin): Promise<void> {
    return this.#update((index) => index.markNeedsLogin(did, needsLogin))
  }

  setDefault(handleOrDid: string): Promise<AccountRecord> {
    return this.#update((index) => {
      const record = index.resolve(handleOrDid)
      index.setDefault(record.did)
      return record
    })
  }

  /**
   * The handle changed since login, and was verified to be the account's: keeps `accounts` and
   * --account <handle> right. Returns the DIDs of other records that held the handle (now stale).
   */
  renamed(did: string, handle: string): Promise<string[]> {
    return this.#update((index) => {
      const record = index.accounts.find((a) => a.did === did)
      if (!record || record.handle === handle) return []
      return index.upsert({ ...record, handle }, { makeDefault: false }).map((a) => a.did)
    })
  }

  #index(): Promise<AccountIndex> {
    return AccountIndex.load(this.#settings.configDir)
  }

  #update<T>(change: (index: AccountIndex) => T): Promise<T> {
    return AccountIndex.update(this.#settings.configDir, change)
  }
}
