// A command's dependencies made of fakes, for unit tests of run functions:
// an in-memory account index and secret store, captured stdout/stderr, and
// whatever XRPC requester, OAuth client or browser the test hands in.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import type { NodeSavedSession } from '@atproto/oauth-client-node'
import type { Accounts, ResolvedAccount } from '../../src/auth/accounts.ts'
import type { XrpcAnswer } from '../../src/auth/session.ts'
import type { Context } from '../../src/context.ts'
import { NotLoggedInError } from '../../src/errors.ts'
import { Output } from '../../src/output.ts'
import { resolveSettings } from '../../src/settings.ts'
import type { AccountRecord } from '../../src/store/account-index.ts'
import type { SecretStore } from '../../src/store/secret-store.ts'
import { SecretSessionStore } from '../../src/store/session-store.ts'

export const ALICE: AccountRecord = {
  did: 'did:plc:alice0000000000000000000',
  handle: 'alice.test',
  pds: 'https://pds.example.com',
  issuer: 'https://pds.example.com',
  clientId: 'https://atoauth.github.io/oauth-client-metadata.json',
  scope: 'atproto transition:generic',
  store: 'keychain',
  loginAt: '2026-12-01T10:00:00.000Z',
}

/** A secret store in memory, with a log of what was done to it. */
export class MemorySecretStore implements SecretStore {
  readonly kind = 'keychain' as const
  readonly location = 'memory'
  readonly values = new Map<string, string>()
  readonly log: string[] = []
  async get(account: string) {
    return this.values.get(account)
  }
  async set(account: string, value: string) {
    this.log.push(`set ${account}`)
    this.values.set(account, value)
  }
  async delete(account: string) {
    this.log.push(`delete ${account}`)
    this.values.delete(account)
  }
  async probe() {
    this.log.push('probe')
  }
}

/** The account facade over an array, recording every change. */
export class FakeAccounts implements Pick<Accounts, keyof Accounts> {
  records: AccountRecord[]
  defaultDid: string | undefined
  readonly secrets = new MemorySecretStore()
  readonly changes: string[] = []
  failSave: Error | undefined

  constructor(records: AccountRecord[] = [], sessions: Record<string, NodeSavedSession> = {}) {
    this.records = records
    this.defaultDid = records[0]?.did
    for (const [did, session] of Object.entries(sessions)) {
      this.secrets.values.set(did, JSON.stringify(session))
    }
  }

  async resolve(handleOrDid?: string): Promise<ResolvedAccount> {
    const wanted = handleOrDid ?? this.defaultDid
    const record = this.records.find((r) => r.did === wanted || r.handle === wanted)
    if (!record) throw new NotLoggedInError()
    const { store, needsLogin, ...account } = record
    return {
      account,
      storage: store,
      sessionStore: new SecretSessionStore(this.secrets),
      ...(needsLogin ? { needsLogin } : {}),
    }
  }
  async list() {
    return this.records.map(({ issuer, clientId, ...r }) => ({
      ...r,
      default: r.did === this.defaultDid,
    }))
  }
  async openStore() {
    return this.secrets
  }
  async sessionStore() {
    return new SecretSessionStore(this.secrets)
  }
  async saveLogin(record: AccountRecord) {
    if (this.failSave) throw this.failSave
    this.changes.push(`saveLogin ${record.did}`)
    const previous = this.records.find((r) => r.did === record.did)
    this.records = [...this.records.filter((r) => r.did !== record.did), record]
    this.defaultDid = record.did
    return previous
  }
  async forget(did: string) {
    this.changes.push(`forget ${did}`)
    this.records = this.records.filter((r) => r.did !== did)
  }
  async markNeedsLogin(did: string) {
    this.changes.push(`markNeedsLogin ${did}`)
  }
  async setDefault(handleOrDid: string) {
    const { account } = await this.resolve(handleOrDid)
    this.defaultDid = account.did
    return this.records.find((r) => r.did === account.did) as AccountRecord
  }
  async renamed(did: string, handle: string): Promise<string[]> {
    this.changes.push(`renamed ${did} ${handle}`)
    return []
  }
}

/** A PDS's JSON answer as the XRPC requester returns it, made with alice's token. */
export function jsonAnswer(body: unknown, status = 200): XrpcAnswer {
  return {
    status,
    statusText: status === 200 ? 'OK' : 'Error',
    ok: status >= 200 && status < 300,
    contentType: 'application/json',
    bytes: Buffer.from(JSON.stringify(body)),
    token: { aud: ALICE.pds, scope: ALICE.scope, expiresAt: undefined },
  }
}

export type FakeContext = {
  ctx: Context
  stderr: () => string
  stdout: () => string
}

export function fakeContext(overrides: Partial<Context> = {}): FakeContext {
  const dir = mkdtempSync(join(tmpdir(), 'atoauth-unit-'))
  const settings = resolveSettings(
    {},
    { ATOAUTH_CONFIG_DIR: join(dir, 'config'), ATOAUTH_CACHE_DIR: join(dir, 'cache') },
  )
  const captured = { stdout: '', stderr: '' }
  const stream = (name: 'stdout' | 'stderr') => {
    const s = new PassThrough()
    s.on('data', (chunk) => {
      captured[name] += chunk
    })
    return s
  }
  const out = new Output({
    json: false,
    color: false,
    streams: { stdout: stream('stdout'), stderr: stream('stderr') },
  })
  const unexpected = (what: string) => async () => {
    throw new Error(`the test did not expect ${what}`)
  }
  const ctx: Context = {
    settings,
    out,
    signal: new AbortController().signal,
    now: () => new Date('2026-12-02T12:00:00.000Z'),
    stdin: new PassThrough(),
    accounts: new FakeAccounts([ALICE]),
    xrpc: unexpected('an XRPC request'),
    oauthClient: unexpected('an OAuth client'),
    openBrowser: unexpected('a browser'),
    ...overrides,
  }
  return { ctx, stderr: () => captured.stderr, stdout: () => captured.stdout }
}
