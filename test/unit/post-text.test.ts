// The text of a post: what the Bluesky app would write for the same input (facets from
// @atproto/api's own detection, short links, clean newlines) and the record's two limits.
import { RichText } from '@atproto/api'
import { describe, expect, it, vi } from 'vitest'
import { AtoauthError } from '../../src/errors.ts'
import { detectTextFacets } from '../../src/post/facet-detection.ts'
import { composePostText, resolveMentions } from '../../src/post/post-text.ts'

const MENTION = 'app.bsky.richtext.facet#mention'

/** The bytes a facet spans, as text. */
function spanned(text: string, facet: { index: { byteStart: number; byteEnd: number } }) {
  return Buffer.from(text).subarray(facet.index.byteStart, facet.index.byteEnd).toString()
}

function thrown(run: () => unknown): AtoauthError {
  try {
    run()
  } catch (err) {
    if (err instanceof AtoauthError) return err
    throw err
  }
  throw new Error('expected an AtoauthError')
}

describe('facet detection without the @atproto/api root', () => {
  const samples = [
    'hello @alice.bsky.social and (@bob.test) but not @nobody or me@mail.com',
    'links: https://example.com/a?b=c#d, example.org/path. (see https://x.com/y) bsky.app!',
    '#tag #Ünïcödé ＃fullwidth #123 #a-b. #emoji👍 $AAPL $toolong7 and #️⃣',
    'héllo 👋🏽 日本語 @carol.test https://exämple.com/パス #タグ',
    '#first then @dave.test\n\nhttps://example.com/\n#end',
    '',
  ]
  it.each(samples)('finds what RichText.detectFacetsWithoutResolution finds in %j', (text) => {
    const rt = new RichText({ text })
    rt.detectFacetsWithoutResolution()
    const expected = (rt.facets ?? []).map(({ index, features }) => ({ index, features }))
    expect(detectTextFacets(text)).toEqual(expected)
  })
})

describe('composePostText', () => {
  it('cleans newlines as RichText does with cleanNewlines', () => {
    const samples = ['a\n\n\n\nb', 'a\n \u200B\n\r\n\nb\n\n\nc', 'a\r\n\r\n\r\nb', 'keep\n\ntwo']
    for (const text of samples) {
      const expected = new RichText({ text }, { cleanNewlines: true }).text
      expect(composePostText(text).text).toBe(expected)
    }
    expect(composePostText('a\n\n\n\nb').text).toBe('a\n\nb')
  })

  it('drops leading blank lines and trailing whitespace, keeping leading spaces of the text', () => {
    expect(composePostText('\n  \n   /\\_/\\\n  ( o.o )  \n\n \t').text).toBe(
      '   /\\_/\\\n  ( o.o )',
    )
  })

  it('allows an empty text', () => {
    expect(composePostText('  \n ')).toEqual({ text: '', facets: [], mentions: [] })
  })

  it('shows a long link short, keeps its full URI, and counts the short text', () => {
    const uri = `https://example.com/${'a'.repeat(400)}`
    const post = composePostText(`see ${uri}.`)
    expect(post.text).toBe('see example.com/aaaaaaaaaaaa....')
    expect(post.facets).toHaveLength(1)
    expect(post.facets[0]?.features).toEqual([{ $type: 'app.bsky.richtext.facet#link', uri }])
    expect(spanned(post.text, post.facets[0]!)).toBe('example.com/aaaaaaaaaaaa...')
  })

  it('shortens as the app does: a short path stays whole, a link without a scheme is untouched', () => {
    const post = composePostText('https://example.com/short and example.org/a/very/long/path/here')
    expect(post.text).toBe('example.com/short and example.org/a/very/long/path/here')
    expect(post.facets.map((f) => f.features[0]?.uri)).toEqual([
      'https://example.com/short',
      'https://example.org/a/very/long/path/here',
    ])
  })

  it('keeps byte offsets right in non-ASCII text, after a shortened link', () => {
    const post = composePostText(
      'héllo 👋🏽 https://exämple.com/ünïcödé/päth/löng @Carol.test #café',
    )
    expect(post.facets.map((f) => spanned(post.text, f))).toEqual([
      'xn--exmple-cua.com/%C3%BCn%C3%A...',
      '@Carol.test',
      '#café',
    ])
    expect(post.facets[2]?.features).toEqual([
      { $type: 'app.bsky.richtext.facet#tag', tag: 'café' },
    ])
  })

  it('a mention inside a link is part of the link: the text stays whole, no mention is written', () => {
    const post = composePostText('see https://example.com/a/(@bob.test)/and/more/path ok')
    expect(post.text).toBe('see example.com/a/(@bob.test... ok')
    expect(post.mentions).toEqual([])
    expect(post.facets.map((f) => f.features[0]?.$type)).toEqual(['app.bsky.richtext.facet#link'])
  })

  it('detects tags', () => {
    const tags = composePostText('#hello world ＃fullwidth #123 #done.').facets
    expect(tags.map((f) => f.features[0]?.tag)).toEqual(['hello', 'fullwidth', 'done'])
  })

  it('accepts 300 emoji graphemes in under 3000 bytes', () => {
    expect(composePostText('😀'.repeat(300)).text).toHaveLength(600)
  })

  it('refuses 301 characters with post_too_long, exit 2', () => {
    expect(composePostText('a'.repeat(300)).text).toHaveLength(300)
    const err = thrown(() => composePostText('a'.repeat(301)))
    expect(err.code).toBe('post_too_long')
    expect(err.exitCode).toBe(2)
    expect(err.message).toBe('The post is 301 characters long; the limit is 300.')
    expect(err.details).toEqual({ length: 301, limit: 300 })
    expect(err.hint).toBeTruthy()
  })

  it('refuses a text within 300 graphemes but over 3000 bytes with post_too_many_bytes', () => {
    const family = '👩‍👩‍👧‍👦' // one grapheme, 25 bytes
    expect(composePostText(family.repeat(120)).text).toBe(family.repeat(120))
    const err = thrown(() => composePostText(`${family.repeat(120)}!`))
    expect(err.code).toBe('post_too_many_bytes')
    expect(err.exitCode).toBe(2)
    expect(err.message).toMatch(/3001 bytes.*3000 bytes.*emoji and many scripts/)
    expect(err.details).toEqual({ length: 3001, limit: 3000 })
  })
})

describe('resolveMentions', () => {
  const text = '@Alice.test hi @ALICE.test, @bob.test and https://example.com'

  it('resolves each distinct handle once, case-insensitively, and drops the unresolved', async () => {
    const post = composePostText(text)
    expect(post.mentions).toEqual(['alice.test', 'bob.test'])
    const resolve = vi.fn(async (handle: string) =>
      handle === 'alice.test' ? 'did:plc:alice' : undefined,
    )
    const { facets, unresolved } = await resolveMentions(post, resolve)
    expect(resolve.mock.calls).toEqual([['alice.test'], ['bob.test']])
    expect(unresolved).toEqual(['bob.test'])
    expect(facets.map((f) => spanned(post.text, f))).toEqual([
      '@Alice.test',
      '@ALICE.test',
      'example.com',
    ])
    const mentions = facets.flatMap((f) => f.features).filter((f) => f.$type === MENTION)
    expect(mentions).toEqual([
      { $type: MENTION, did: 'did:plc:alice' },
      { $type: MENTION, did: 'did:plc:alice' },
    ])
    expect(post.text).toBe('@Alice.test hi @ALICE.test, @bob.test and example.com')
  })

  it('lets a resolver failure through', async () => {
    const failure = new Error('network down')
    const post = composePostText(text)
    await expect(resolveMentions(post, async () => Promise.reject(failure))).rejects.toBe(failure)
  })
})
