// --scope's presets and scopes, the local check of what a session's scopes allow, and the
// scope_missing error both ways (known here, or read from the PDS's 403).
import { describe, expect, it } from 'vitest'
import { assertScopes, missingScopeOf, requestedScope } from '../../src/auth/scope-check.ts'
import { presetGranting, presetsOf } from '../../src/auth/scope-presets.ts'

const POST = 'atproto repo:app.bsky.feed.post?action=create blob:image/*'
const DELETE = { repo: { collection: 'app.bsky.feed.post', action: 'delete' as const } }

describe('--scope', () => {
  it('turns presets into their scopes, mixes in raw scopes, and always asks for atproto', async () => {
    expect(await requestedScope('full')).toBe('atproto transition:generic')
    expect(await requestedScope('post')).toBe(POST)
    expect(await requestedScope('post,delete')).toBe(
      `${POST} repo:app.bsky.feed.post?action=delete`,
    )
    expect(await requestedScope('post account:email')).toBe(`${POST} account:email`)
    // The scope string of old still works as it did.
    expect(await requestedScope('atproto transition:generic')).toBe('atproto transition:generic')
  })

  it('refuses a token that is neither a preset nor an atproto scope, naming it (exit 2)', async () => {
    await expect(requestedScope('post,everything')).rejects.toMatchObject({
      code: 'usage',
      exitCode: 2,
      message: '--scope "everything" is neither a preset nor an atproto scope.',
    })
  })
})

describe('what a session may do', () => {
  const alice = (scope: string) => ({ handle: 'alice.test', scope })

  it('transition:generic allows any post or delete', async () => {
    await expect(
      assertScopes(alice('atproto transition:generic'), [DELETE]),
    ).resolves.toBeUndefined()
  })

  it('a post session may post images but not delete: scope_missing names the scope and the preset', async () => {
    const needs = [{ repo: { ...DELETE.repo, action: 'create' as const } }, { blob: 'image/png' }]
    await expect(assertScopes(alice(POST), needs)).resolves.toBeUndefined()
    await expect(assertScopes(alice(POST), [DELETE])).rejects.toMatchObject({
      code: 'scope_missing',
      exitCode: 1,
      details: { scope: 'repo:app.bsky.feed.post?action=delete' },
      hint: expect.stringContaining('atoauth login alice.test --scope post,delete'),
    })
  })

  it('an image type the session may not upload is named as the server would name it', async () => {
    const createOnly = alice('atproto repo:app.bsky.feed.post?action=create')
    await expect(assertScopes(createOnly, [{ blob: 'image/gif' }])).rejects.toMatchObject({
      details: { scope: 'blob:image/gif' },
      hint: expect.stringContaining('--scope post'),
    })
  })

  it('quotes a scope no preset has in the hint, so a shell takes its ? and * as they are', async () => {
    const like = { repo: { collection: 'app.bsky.feed.like', action: 'create' as const } }
    await expect(assertScopes(alice(POST), [like])).rejects.toMatchObject({
      hint: expect.stringContaining(
        "atoauth login alice.test --scope 'post,repo:app.bsky.feed.like?action=create'",
      ),
    })
  })

  it("reads the missing scope out of the PDS's 403, and nothing else", () => {
    const body = {
      error: 'ScopeMissingError',
      message: 'Missing required scope "repo:app.bsky.feed.post?action=delete"',
    }
    expect(missingScopeOf(body)).toBe('repo:app.bsky.feed.post?action=delete')
    expect(missingScopeOf({ error: 'Forbidden', message: body.message })).toBeUndefined()
    expect(missingScopeOf(undefined)).toBeUndefined()
  })

  it('names the presets a granted scope is made of, or none for a custom one', () => {
    expect(presetsOf('atproto transition:generic')).toEqual(['full'])
    expect(presetsOf(`${POST} repo:app.bsky.feed.post?action=delete`)).toEqual(['post', 'delete'])
    expect(presetsOf('atproto repo:app.bsky.feed.like?action=create')).toBeUndefined()
    expect(
      presetGranting('rpc:app.bsky.feed.getTimeline?aud=did:web:api.bsky.app%23bsky_appview'),
    ).toBe('read')
  })
})
