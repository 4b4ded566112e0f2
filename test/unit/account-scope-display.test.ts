// accounts and status show what each session may do: its granted scope, and the presets it is
// made of ("post,delete"), or "custom" when its scopes are not a preset's.
import { describe, expect, it } from 'vitest'
import { runAccounts } from '../../src/commands/accounts.ts'
import { runStatus } from '../../src/commands/status.ts'
import { ALICE, FakeAccounts, fakeContext } from '../support/fake-context.ts'

const POSTER = {
  ...ALICE,
  did: 'did:plc:poster000000000000000000',
  handle: 'poster.test',
  scope:
    'atproto repo:app.bsky.feed.post?action=create blob:image/* repo:app.bsky.feed.post?action=delete',
}
const CUSTOM = {
  ...ALICE,
  did: 'did:plc:custom000000000000000000',
  handle: 'custom.test',
  scope: 'atproto account:email',
}

const setup = () => fakeContext({ accounts: new FakeAccounts([ALICE, POSTER, CUSTOM]) }).ctx

describe.each([
  ['accounts', runAccounts],
  ['status', runStatus],
])('%s', (_name, run) => {
  it('gives each account its scope and preset in --json', async () => {
    const { data } = await run(setup())
    expect((data as { accounts: unknown[] }).accounts).toEqual([
      expect.objectContaining({ handle: 'alice.test', scope: ALICE.scope, preset: 'full' }),
      expect.objectContaining({
        handle: 'poster.test',
        scope: POSTER.scope,
        preset: 'post,delete',
      }),
      expect.objectContaining({ handle: 'custom.test', scope: CUSTOM.scope, preset: null }),
    ])
  })

  it('ends each text line with the preset, or "custom"', async () => {
    const { text } = await run(setup())
    expect(text).toEqual([
      expect.stringMatching(/^\* alice\.test .* {2}scope: full$/),
      expect.stringMatching(/^ {2}poster\.test .* {2}scope: post,delete$/),
      expect.stringMatching(/^ {2}custom\.test .* {2}scope: custom$/),
    ])
  })
})
