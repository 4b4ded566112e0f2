// whoami records a new handle only once it is the account's (the handle resolves to the session's
// DID and its DID document lists it), against the real PDS and PLC directory: a rename made
// through the PDS is recorded, while a handle the PDS merely claims (its database says so, the DID
// document does not; or it names the handle of the person's other account) is not. A getSession
// answer for another DID is an error, and two records never share a handle.
import { describe, expect, it } from 'vitest'
import type { SandboxAccount } from '../sandbox/sandbox.ts'
import { useE2E } from './harness.ts'

const e2e = useE2E()

type AccountManager = import('@atproto/pds').PDS['ctx']['accountManager']
type GetAccount = AccountManager['getAccount']
type Did = `did:${string}:${string}`

describe('a handle the PDS reports', () => {
  // The PDS's account manager takes DIDs typed as such.
  const alice = () => e2e.sandbox.accounts.alice! as SandboxAccount & { did: Did }
  const bob = () => e2e.sandbox.accounts.bob! as SandboxAccount & { did: Did }
  const accountManager = () => e2e.sandbox.pds.ctx.accountManager

  /** Changes an account's handle the way another app would: the PDS updates PLC and its database. */
  async function setHandle(name: 'alice' | 'bob', handle: string): Promise<void> {
    const { pdsUrl, accounts } = e2e.sandbox
    const account = accounts[name]!
    const login = await fetch(`${pdsUrl}/xrpc/com.atproto.server.createSession`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identifier: account.did, password: account.password }),
    })
    const { accessJwt } = (await login.json()) as { accessJwt: string }
    const res = await fetch(`${pdsUrl}/xrpc/com.atproto.identity.updateHandle`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessJwt}` },
      body: JSON.stringify({ handle }),
    })
    expect(res.status, await res.text()).toBe(200)
  }

  /** Makes the PDS describe alice's account with `change`, for the length of `run`. */
  async function whilePdsSays<T>(
    change: (account: NonNullable<Awaited<ReturnType<GetAccount>>>) => Promise<object>,
    run: () => Promise<T>,
  ): Promise<T> {
    const manager = accountManager()
    const original = manager.getAccount
    manager.getAccount = (async (handleOrDid, options) => {
      const account = await original.call(manager, handleOrDid, options)
      return account && handleOrDid === alice().did ? change(account) : account
    }) as GetAccount
    try {
      return await run()
    } finally {
      manager.getAccount = original
    }
  }

  async function whoami(account: string) {
    const { code, stdout, stderr } = await e2e.run(['whoami', '--json', '--account', account])
    return { code, stderr, json: JSON.parse(stdout) }
  }

  async function recordedHandles(): Promise<Record<string, string>> {
    const { accounts } = JSON.parse((await e2e.run(['accounts', '--json'])).stdout)
    return Object.fromEntries(
      accounts.map((a: { did: string; handle: string }) => [a.did, a.handle]),
    )
  }

  it('a rename through the PDS (PLC and its database) is recorded', async () => {
    expect((await e2e.login('alice')).cli.code).toBe(0)
    expect((await e2e.login('bob')).cli.code).toBe(0)
    await setHandle('alice', 'alice2.test')
    const { code, json, stderr } = await whoami(alice().did)
    expect(code, stderr).toBe(0)
    expect(json).toMatchObject({ did: alice().did, handle: 'alice2.test' })
    expect(json).not.toHaveProperty('claimedHandle')
    expect(stderr).toBe('')
    expect((await recordedHandles())[alice().did]).toBe('alice2.test')
    expect((await whoami('alice2.test')).json.did).toBe(alice().did)
  })

  it('a handle only the PDS database holds (the DID document does not list it) is not recorded', async () => {
    await accountManager().updateAccountHandle(alice().did, 'mallory.test')
    try {
      const { code, json, stderr } = await whoami(alice().did)
      expect(code, stderr).toBe(0)
      expect(json).toMatchObject({ handle: 'alice2.test', claimedHandle: 'mallory.test' })
      expect(stderr).toMatch(/warning: the PDS reports the handle mallory\.test .* not recorded/)
      expect((await recordedHandles())[alice().did]).toBe('alice2.test')
    } finally {
      await accountManager().updateAccountHandle(alice().did, 'alice2.test')
    }
  })

  it('the handle of the person’s other account, claimed by the PDS, is not recorded', async () => {
    const { code, json, stderr } = await whilePdsSays(
      async (account) => ({ ...account, handle: 'bob.test' }),
      () => whoami(alice().did),
    )
    expect(code, stderr).toBe(0)
    expect(json).toMatchObject({ handle: 'alice2.test', claimedHandle: 'bob.test' })
    expect(stderr).toContain(`resolves to another account (${bob().did})`)
    expect(await recordedHandles()).toEqual({
      [alice().did]: 'alice2.test',
      [bob().did]: 'bob.test',
    })
    // --account bob.test still means bob.
    expect((await whoami('bob.test')).json.did).toBe(bob().did)
  })

  it('a getSession answer for another DID is session_mismatch (exit 1), and nothing is recorded', async () => {
    const before = await recordedHandles()
    const other = await accountManager().getAccount(bob().did)
    const { code, json } = await whilePdsSays(
      async () => other as object,
      () => whoami(alice().did),
    )
    expect(code).toBe(1)
    expect(json.error).toMatchObject({
      code: 'session_mismatch',
      did: alice().did,
      reportedDid: bob().did,
    })
    expect(await recordedHandles()).toEqual(before)
  })

  it('a verified rename onto a handle another record holds leaves that record under its DID', async () => {
    // bob renames elsewhere; alice then takes bob's old handle.
    await setHandle('bob', 'bob2.test')
    await setHandle('alice', 'bob.test')
    const { code, json, stderr } = await whoami(alice().did)
    expect(code, stderr).toBe(0)
    expect(json.handle).toBe('bob.test')
    expect(stderr).toContain(`bob.test now belongs to ${alice().did}`)
    expect(await recordedHandles()).toEqual({
      [alice().did]: 'bob.test',
      [bob().did]: bob().did,
    })
    // --account bob.test means the account the handle now resolves to.
    expect((await whoami('bob.test')).json.did).toBe(alice().did)
    // bob's own whoami finds and records its new handle.
    expect((await whoami(bob().did)).json.handle).toBe('bob2.test')
    expect(await recordedHandles()).toEqual({
      [alice().did]: 'bob.test',
      [bob().did]: 'bob2.test',
    })
  })
})
