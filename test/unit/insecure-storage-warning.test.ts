// The plaintext session store (--insecure-storage, ATOAUTH_STORE=file) is said out loud where it
// matters: when a session is written there (a login, a refresh), once, and in `status` and
// `doctor`. A command that only reads the session does not repeat it on every run.
import { join } from 'node:path'
import type { NodeSavedSession } from '@atproto/oauth-client-node'
import { describe, expect, it } from 'vitest'
import { Accounts } from '../../src/auth/accounts.ts'
import { runStatus } from '../../src/commands/status.ts'
import { runWhoami } from '../../src/commands/whoami.ts'
import { accountsCheck, sessionCheck } from '../../src/doctor/accounts-check.ts'
import { AccountIndex, type AccountRecord } from '../../src/store/account-index.ts'
import { FileSecretStore } from '../../src/store/secret-store.ts'
import { ALICE, FakeAccounts, fakeContext, jsonAnswer } from '../support/fake-context.ts'
import { savedSession } from '../support/saved-session.ts'

const ALICE_IN_FILE: AccountRecord = { ...ALICE, store: 'file' }

/** A context whose accounts are the real facade over a config dir holding alice's plaintext session. */
async function withPlaintextSession() {
  const fake = fakeContext()
  const { ctx } = fake
  const { configDir } = ctx.settings
  await AccountIndex.update(configDir, (index) =>
    index.upsert(ALICE_IN_FILE, { makeDefault: true }),
  )
  const saved = savedSession(ALICE.pds)
  const session = {
    ...saved,
    tokenSet: { ...saved.tokenSet, sub: ALICE.did },
  } as unknown as NodeSavedSession
  await new FileSecretStore(configDir).set(ALICE.did, JSON.stringify(session))
  ctx.accounts = new Accounts(ctx.settings, (message) => ctx.out.warn(message))
  return { ...fake, session }
}

describe('the plaintext session store', () => {
  it('a command that only reads the session (whoami) prints no warning', async () => {
    const { ctx, stderr } = await withPlaintextSession()
    ctx.xrpc = async (resolved) => {
      expect(resolved.storage).toBe('file')
      // What the library does on a fresh token: read the stored session, write nothing.
      expect(await resolved.sessionStore.get(ALICE.did)).toBeDefined()
      return async () => jsonAnswer({ did: ALICE.did, handle: ALICE.handle })
    }
    const result = await runWhoami(ctx)
    expect(result.data.store).toBe('file')
    expect(result.text).toContain('  stored in:     plaintext file (insecure)')
    expect(stderr()).toBe('')
  })

  it('writing a session there (a refresh) says so once, naming where', async () => {
    const { ctx, stderr, session } = await withPlaintextSession()
    const { sessionStore } = await ctx.accounts.resolve()
    expect(stderr()).toBe('')
    await sessionStore.set(ALICE.did, session)
    await sessionStore.set(ALICE.did, session)
    const lines = stderr().trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('warning: using insecure plaintext session storage')
    expect(lines[0]).toContain(join(ctx.settings.configDir, 'insecure-sessions'))
  })

  it('a login into the plaintext store says so when it stores the session, not at the probe', async () => {
    const { ctx, stderr, session } = await withPlaintextSession()
    const store = await ctx.accounts.openStore('file')
    await store.probe()
    expect(stderr()).toBe('')
    await store.set(ALICE.did, JSON.stringify(session))
    expect(stderr()).toContain('warning: using insecure plaintext session storage')
  })

  it('status names each plaintext session in a warning; --json has store "file"', async () => {
    const { ctx, stderr } = fakeContext({ accounts: new FakeAccounts([ALICE_IN_FILE]) })
    const result = await runStatus(ctx)
    expect(stderr()).toMatch(/^warning: the session of alice\.test is kept in plaintext in /m)
    expect(stderr()).toContain(join(ctx.settings.configDir, 'insecure-sessions'))
    expect((result.data.accounts as Array<{ store: string }>)[0]?.store).toBe('file')
  })

  it('status says nothing of the kind for a keychain session', async () => {
    const { ctx, stderr } = fakeContext({ accounts: new FakeAccounts([ALICE]) })
    await runStatus(ctx)
    expect(stderr()).not.toContain('plaintext')
  })

  it('doctor warns on a session kept in the plaintext store', async () => {
    const { ctx } = await withPlaintextSession()
    const { accounts } = await accountsCheck(ctx.settings)
    const check = await sessionCheck(accounts[0]!, ctx.now())
    expect(check).toMatchObject({
      name: 'session:alice.test',
      status: 'warn',
      detail: expect.stringContaining('plaintext'),
    })
  })
})
