// A post named by its at:// URI or by the bsky.app link the app's Share button copies.
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/errors.ts'
import { parsePostRef } from '../../src/post/post-ref.ts'

const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz'
const RKEY = '3l6oveex3ii2l'

describe('parsePostRef', () => {
  it.each([
    [`at://${DID}/app.bsky.feed.post/${RKEY}`, DID],
    [`at://alice.bsky.social/app.bsky.feed.post/${RKEY}`, 'alice.bsky.social'],
    [`https://bsky.app/profile/Alice.bsky.social/post/${RKEY}`, 'Alice.bsky.social'],
    [`https://bsky.app/profile/${DID}/post/${RKEY}`, DID],
    [`https://bsky.app/profile/${DID}/post/${RKEY}/?ref_src=share#top`, DID],
    [`https://bsky.app/profile/${encodeURIComponent(DID)}/post/${RKEY}`, DID],
    [`  https://bsky.app/profile/${DID}/post/${RKEY}\n`, DID],
  ])('accepts %j', (input, repo) => {
    expect(parsePostRef(input, '--quote')).toEqual({
      repo,
      rkey: RKEY,
      uri: `at://${repo}/app.bsky.feed.post/${RKEY}`,
    })
  })

  it.each([
    ['another collection', `at://${DID}/app.bsky.feed.like/${RKEY}`],
    ['a record path with more after the key', `at://${DID}/app.bsky.feed.post/${RKEY}/x`],
    ['no record key', `at://${DID}/app.bsky.feed.post`],
    ['a repository only', `at://${DID}`],
    ['a bad record key', `at://${DID}/app.bsky.feed.post/a..b:c%`],
    ['a bad handle', `at://not_a_handle/app.bsky.feed.post/${RKEY}`],
    ['an at-URI without its scheme', `${DID}/app.bsky.feed.post/${RKEY}`],
    ['another host', `https://example.com/profile/${DID}/post/${RKEY}`],
    ['plain http', `http://bsky.app/profile/${DID}/post/${RKEY}`],
    ['a profile link', 'https://bsky.app/profile/alice.bsky.social'],
    ['a feed link', `https://bsky.app/profile/alice.bsky.social/feed/${RKEY}`],
    ['a bad handle in a link', `https://bsky.app/profile/alice/post/${RKEY}`],
    ['an empty string', ''],
  ])('refuses %s with a usage error naming the flag and both forms', (_, input) => {
    let error: unknown
    try {
      parsePostRef(input, '--reply')
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(UsageError)
    const usage = error as UsageError
    expect(usage.exitCode).toBe(2)
    expect(usage.message).toMatch(/^--reply ".*" is not the at:\/\/ URI or bsky.app link of a post/)
    expect(usage.hint).toContain('at://<did or handle>/app.bsky.feed.post/<rkey>')
    expect(usage.hint).toContain('https://bsky.app/profile/<handle or did>/post/<rkey>')
  })
})
