// The account index never holds two records with the same handle: a handle names one DID, so
// when a verified handle arrives for one account, another record still carrying it is stale.
// `--account <handle>`, `switch` and `logout` must then pick the account the handle is now.
import { mkdtempSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Accounts } from '../../src/auth/accounts.ts'
import { resolveSettings } from '../../src/settings.ts'
import { AccountIndex, type AccountRecord } from '../../src/store/account-index.ts'
import { ALICE } from '../support/fake-context.ts'

const BOB: AccountRecord = { ...ALICE, did: 'did:plc:bob00000000000000000000', handle: 'bob.test' }

function configDir(): string {
  return mkdtempSync(join(tmpdir(), 'atoauth-index-'))
}

async function indexWith(dir: string, records: AccountRecord[]): Promise<void> {
  await AccountIndex.update(dir, (index) => {
    for (const record of records) index.upsert(record, { makeDefault: false })
  })
}

describe('account index', () => {
  it('a record taking a handle another holds (case aside) leaves the other under its DID', async () => {
    const dir = configDir()
    await indexWith(dir, [ALICE, BOB])
    const displaced = await AccountIndex.update(dir, (index) =>
      index.upsert({ ...ALICE, handle: 'BOB.test' }, { makeDefault: false }),
    )
    expect(displaced.map((r) => r.did)).toEqual([BOB.did])
    const index = await AccountIndex.load(dir)
    expect(index.accounts.map((a) => [a.did, a.handle])).toEqual([
      [ALICE.did, 'BOB.test'],
      [BOB.did, BOB.did],
    ])
    expect(index.resolve('bob.test').did).toBe(ALICE.did)
    expect(index.resolve(BOB.did).did).toBe(BOB.did)
  })

  it('a record keeping its own handle displaces nobody', async () => {
    const dir = configDir()
    await indexWith(dir, [ALICE, BOB])
    const displaced = await AccountIndex.update(dir, (index) =>
      index.upsert({ ...ALICE, scope: 'atproto' }, { makeDefault: true }),
    )
    expect(displaced).toEqual([])
    expect((await AccountIndex.load(dir)).accounts.map((a) => a.handle)).toEqual([
      'alice.test',
      'bob.test',
    ])
  })

  it('a handle two records share (an index from before this rule) names neither', async () => {
    const dir = configDir()
    const file = {
      version: 1,
      defaultDid: ALICE.did,
      accounts: [ALICE, { ...BOB, handle: 'alice.test' }],
    }
    await writeFile(join(dir, 'accounts.json'), JSON.stringify(file))
    const index = await AccountIndex.load(dir)
    expect(() => index.resolve('@Alice.test')).toThrow(
      expect.objectContaining({
        code: 'usage',
        exitCode: 2,
        message: expect.stringContaining(`${ALICE.did}, ${BOB.did}`),
      }),
    )
    expect(index.resolve(BOB.did).did).toBe(BOB.did)
    expect(index.resolve(undefined).did).toBe(ALICE.did)
  })

  it('Accounts.renamed records the handle and returns the DIDs of the records it displaced', async () => {
    const dir = configDir()
    await indexWith(dir, [ALICE, BOB])
    const settings = resolveSettings({}, { ATOAUTH_CONFIG_DIR: dir, ATOAUTH_CACHE_DIR: dir })
    const accounts = new Accounts(settings, () => {})
    expect(await accounts.renamed(ALICE.did, 'bob.test')).toEqual([BOB.did])
    expect((await accounts.setDefault('bob.test')).did).toBe(ALICE.did)
    const saved = JSON.parse(await readFile(join(dir, 'accounts.json'), 'utf8'))
    const handles = saved.accounts.map((a: AccountRecord) => a.handle.toLowerCase())
    expect(new Set(handles).size).toBe(handles.length)
  })
})
