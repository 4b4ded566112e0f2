// The non-secret record of who is logged in (DID, handle, PDS, client_id, login time, which secret
// store holds the session), in <config dir>/accounts.json, replaced atomically on every change.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { accountWord, suggestCommand } from '../errors/suggested-command.js'
import { AtoauthError, NotLoggedInError, UsageError } from '../errors.js'
import type { StoreKind } from '../settings.js'
import { writeFileAtomically } from './atomic-write.js'
import { createFileLock } from './file-lock.js'
import { parseJson } from './parse-json.js'

export type AccountRecord = {
  did: string
  handle: string
  pds: string
  /** The authorization server that issued the session. */
  issuer: string
  clientId: string
  scope: string
  store: StoreKind
  /** ISO time of the login: public-client sessions end 14 days after it. */
  loginAt: string
  /** Set when the session ended (expired, revoked, replayed): only a new login helps. */
  needsLogin?: { since: string; reason: string }
}

/** An account without where its secrets live (an exported session has no index entry). */
export type AccountIdentity = Omit<AccountRecord, 'store' | 'needsLogin'>

/** The account's identity alone, without any other field `account` has. */
export function identityOf(account: AccountIdentity): AccountIdentity {
  const { did, handle, pds, issuer, clientId, scope, loginAt } = account
  return { did, handle, pds, issuer, clientId, scope, loginAt }
}

type AccountIndexFile = { version: 1; defaultDid?: string; accounts: AccountRecord[] }

const FILE_NAME = 'accounts.json'

export class AccountIndex {
  readonly path: string
  accounts: AccountRecord[]
  defaultDid: string | undefined

  private constructor(path: string, data: AccountIndexFile) {
    this.path = path
    this.accounts = data.accounts
    this.defaultDid = data.defaultDid
  }

  static async load(configDir: string): Promise<AccountIndex> {
    const path = join(configDir, FILE_NAME)
    const text = await readFile(path, 'utf8').catch((err) => {
      if (err.code === 'ENOENT') return '{"version":1,"accounts":[]}'
      throw err
    })
    const data = parseJson(text) as AccountIndexFile | undefined
    if (data?.version === 1 && Array.isArray(data.accounts)) return new AccountIndex(path, data)
    throw data === undefined
      ? new AtoauthError('config_corrupt', `${path} is not valid JSON.`, {
          hint: 'Fix or delete the file, then log in again.',
        })
      : new AtoauthError('config_corrupt', `${path} has an unknown format.`, {
          hint: 'It may have been written by a newer atoauth: upgrade, or delete the file and log in again.',
        })
  }

  // Load, change and save under a cross-process lock: two logins at once must not drop each other.
  static async update<T>(
    configDir: string,
    change: (index: AccountIndex) => T | Promise<T>,
  ): Promise<T> {
    return createFileLock(configDir)(FILE_NAME, async () => {
      const index = await AccountIndex.load(configDir)
      const result = await change(index)
      const { defaultDid, accounts } = index
      const data: AccountIndexFile = { version: 1, defaultDid, accounts }
      await writeFileAtomically(index.path, `${JSON.stringify(data, null, 2)}\n`)
      return result
    })
  }

  /** The account named by handle or DID, or the default one. */
  resolve(handleOrDid: string | undefined): AccountRecord {
    const found = this.accounts.filter((a) =>
      handleOrDid === undefined ? a.did === this.defaultDid : isAccount(a, handleOrDid),
    )
    // Only an index written before upsert() kept handles apart can hold two: guessing which
    // one is meant could act on the wrong account.
    if (found.length > 1 && handleOrDid !== undefined) {
      throw new UsageError(
        `The handle ${handleOrDid} is recorded for more than one account (${found.map((a) => a.did).join(', ')}).`,
        'Name the account by its DID; atoauth whoami --account <did> records its current handle.',
      )
    }
    const [record] = found
    if (record) return record
    throw handleOrDid === undefined
      ? new NotLoggedInError()
      : new NotLoggedInError(
          `No account ${handleOrDid} is logged in.`,
          suggestCommand`Log in with: atoauth login ${accountWord(handleOrDid)}`,
        )
  }

  /**
   * Adds or replaces the account's record. Its handle has just been verified (by a login's
   * identity resolution, or whoami's check of a rename) and a handle names one DID, so another
   * record still holding it (case aside) is stale: that one is left under its DID, as a login
   * records an account without a valid handle, until its own new handle is seen. Two records
   * never share a handle, so `--account <handle>` can only mean the verified one. Returns the
   * records so displaced.
   */
  upsert(record: AccountRecord, options: { makeDefault: boolean }): AccountRecord[] {
    const displaced = this.accounts.filter(
      (a) => a.did !== record.did && a.handle.toLowerCase() === record.handle.toLowerCase(),
    )
    for (const stale of displaced) stale.handle = stale.did
    const at = this.accounts.findIndex((a) => a.did === record.did)
    if (at === -1) this.accounts.push(record)
    else this.accounts[at] = record
    if (options.makeDefault || !this.defaultDid) this.defaultDid = record.did
    return displaced
  }

  /** Records that the account's session has ended; a new login (upsert) clears it. */
  markNeedsLogin(did: string, needsLogin: { since: string; reason: string }): void {
    const record = this.accounts.find((a) => a.did === did)
    if (record) record.needsLogin = needsLogin
  }

  setDefault(did: string): void {
    this.defaultDid = did
  }

  remove(did: string): void {
    this.accounts = this.accounts.filter((a) => a.did !== did)
    if (this.defaultDid === did) this.defaultDid = this.accounts[0]?.did
  }
}

/** Whether a person naming an account as `handleOrDid` (`@` and case optional) means this one. */
export function isAccount(record: { did: string; handle: string }, handleOrDid: string): boolean {
  const wanted = handleOrDid.replace(/^@/, '').toLowerCase()
  return record.did === handleOrDid || record.handle.toLowerCase() === wanted
}
