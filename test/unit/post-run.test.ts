// post's run function with fake dependencies: every call goes through the one
// XRPC requester, a warm text post is that one createRecord, and the record it
// writes is the post the person asked for.
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { XrpcAnswer, XrpcRequest } from '../../src/auth/session.ts'
import { runPost } from '../../src/commands/post.ts'
import { ALICE, FakeAccounts, fakeContext, jsonAnswer } from '../support/fake-context.ts'

const BOB = 'did:plc:bob00000000000000000000'
const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/images/${name}`, import.meta.url))
const CID = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm'

type Facet = { features: unknown[] }

const json = jsonAnswer

/** A PDS in a function: answers the calls post makes, and keeps them. */
function fakePds(records: Record<string, unknown> = {}, options: { uploadStatus?: number } = {}) {
  const calls: { request: XrpcRequest; body: unknown }[] = []
  const request = async (req: XrpcRequest): Promise<XrpcAnswer> => {
    const isJson = req.headers?.['content-type'] === 'application/json'
    const body = req.body && isJson ? JSON.parse(Buffer.from(req.body).toString('utf8')) : req.body
    calls.push({ request: req, body })
    const url = new URL(req.path, 'https://pds.example.com')
    switch (url.pathname) {
      case '/xrpc/com.atproto.identity.resolveHandle': {
        const handle = url.searchParams.get('handle')
        if (handle === 'bob.test') return json({ did: BOB })
        if (handle === 'busy.test') return json({ error: 'UpstreamFailure' }, 502)
        return json({ error: 'InvalidRequest', message: 'Unable to resolve handle' }, 400)
      }
      case '/xrpc/com.atproto.repo.uploadBlob': {
        if (options.uploadStatus)
          return json({ error: 'InternalServerError' }, options.uploadStatus)
        const size = (req.body as Uint8Array).length
        const mimeType = req.headers?.['content-type']
        return json({ blob: { $type: 'blob', ref: { $link: `bafk${size}` }, mimeType, size } })
      }
      case '/xrpc/com.atproto.repo.getRecord': {
        const found = records[url.searchParams.get('rkey') ?? '']
        return found ? json(found) : json({ error: 'RecordNotFound', message: 'nope' }, 400)
      }
      case '/xrpc/com.atproto.repo.createRecord':
        return json({
          uri: `at://${ALICE.did}/app.bsky.feed.post/3new`,
          cid: 'bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a',
        })
      default:
        return json({ error: 'MethodNotImplemented' }, 501)
    }
  }
  return { calls, request }
}

function setup(records?: Record<string, unknown>, options?: { uploadStatus?: number }) {
  const pds = fakePds(records, options)
  const { ctx, stderr } = fakeContext({ xrpc: async () => pds.request })
  return { ctx, calls: pds.calls, stderr, paths: () => pds.calls.map((c) => c.request.path) }
}

describe('post', () => {
  it('writes one post record with facets for the mention, link and tag, through the requester', async () => {
    const { ctx, calls } = setup()
    const result = await runPost(
      { text: 'hi @bob.test see https://example.com #atproto', reply: undefined, langs: ['en'] },
      ctx,
    )
    const created = calls.find((c) => c.request.path === '/xrpc/com.atproto.repo.createRecord')
    if (!created) throw new Error('post made no createRecord call')
    expect(created.request.method).toBe('POST')
    expect(created.body).toMatchObject({
      repo: ALICE.did,
      collection: 'app.bsky.feed.post',
      record: {
        // The link is shown short, as the Bluesky app shows it; its facet keeps the whole URL.
        text: 'hi @bob.test see example.com #atproto',
        langs: ['en'],
        createdAt: '2026-12-02T12:00:00.000Z',
      },
    })
    const { record } = created.body as { record: { facets: { features: unknown[] }[] } }
    const features = record.facets.flatMap((f) => f.features)
    expect(features).toEqual([
      { $type: 'app.bsky.richtext.facet#mention', did: BOB },
      { $type: 'app.bsky.richtext.facet#link', uri: 'https://example.com' },
      { $type: 'app.bsky.richtext.facet#tag', tag: 'atproto' },
    ])
    expect(result.data).toMatchObject({
      uri: `at://${ALICE.did}/app.bsky.feed.post/3new`,
      url: `https://bsky.app/profile/${ALICE.did}/post/3new`,
    })
  })

  it('a reply points at the parent and at the root of its thread', async () => {
    const root = {
      uri: `at://${BOB}/app.bsky.feed.post/root`,
      cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
    }
    const { ctx, calls } = setup({
      parent: {
        uri: `at://${BOB}/app.bsky.feed.post/parent`,
        cid: 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy',
        value: { text: 'a reply', reply: { root, parent: root } },
      },
    })
    await runPost(
      { text: 'me too', reply: `at://${BOB}/app.bsky.feed.post/parent`, langs: [] },
      ctx,
    )
    const created = calls.at(-1)?.body as { record: { reply: unknown } }
    expect(created.record.reply).toEqual({
      root,
      parent: {
        uri: `at://${BOB}/app.bsky.feed.post/parent`,
        cid: 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy',
      },
    })
  })

  it('refuses an empty or over-long post before any request', async () => {
    const { ctx, calls } = setup()
    await expect(runPost({ text: '   ', reply: undefined, langs: [] }, ctx)).rejects.toMatchObject({
      code: 'usage',
    })
    await expect(
      runPost({ text: 'x'.repeat(301), reply: undefined, langs: [] }, ctx),
    ).rejects.toMatchObject({ code: 'post_too_long', message: expect.stringContaining('301') })
    expect(calls).toEqual([])
  })

  it('refuses a language the PDS would refuse, before any request, naming it and an example', async () => {
    // "english" is well-formed BCP 47 (a 5-8 letter primary subtag), which isValidLanguage
    // accepts; the PDS's record validation (@atproto/lex) wants a 2-3 letter lowercase one.
    for (const lang of ['english', 'en_US', 'e', 'EN']) {
      const { ctx, calls } = setup()
      const error = await runPost({ text: 'hi', langs: ['de', lang] }, ctx).then(
        () => undefined,
        (thrown: unknown) => thrown,
      )
      expect(error).toMatchObject({ code: 'usage', exitCode: 2 })
      const { message, hint } = error as { message: string; hint: string }
      expect(message).toContain(`"${lang}" is not a language tag`)
      expect(`${message} ${hint}`).toMatch(/\ben\b.*\bpt-BR\b/)
      expect(calls).toEqual([])
    }
  })

  it('suggests the tag meant when only the separator or the case is wrong', async () => {
    const { ctx } = setup()
    await expect(runPost({ text: 'hi', langs: ['en_US'] }, ctx)).rejects.toMatchObject({
      hint: expect.stringContaining('--lang en-US'),
    })
    await expect(runPost({ text: 'hi', langs: ['PT-br'] }, ctx)).rejects.toMatchObject({
      hint: expect.stringContaining('--lang pt-BR'),
    })
  })

  it('writes the language tags the PDS accepts as given', async () => {
    const { ctx, calls } = setup()
    await runPost({ text: 'hi', langs: ['en', 'pt-BR', 'zh-Hant'] }, ctx)
    const created = calls.find((c) => c.request.path.includes('createRecord'))
    expect(created?.body).toMatchObject({ record: { langs: ['en', 'pt-BR', 'zh-Hant'] } })
  })

  it('a text post on a warm session is one request: the createRecord', async () => {
    const { ctx, paths } = setup()
    await runPost({ text: 'plain words, https://example.com #tag', langs: [] }, ctx)
    expect(paths()).toEqual(['/xrpc/com.atproto.repo.createRecord'])
  })

  it('a mention that does not resolve stays plain text, with a warning, and the post goes out', async () => {
    const { ctx, calls, paths, stderr } = setup()
    await runPost({ text: '@nobody.test meet @bob.test and @Bob.test', langs: [] }, ctx)
    // Each distinct handle is resolved once.
    expect(
      paths()
        .filter((p) => p.includes('resolveHandle'))
        .sort(),
    ).toEqual([
      '/xrpc/com.atproto.identity.resolveHandle?handle=bob.test',
      '/xrpc/com.atproto.identity.resolveHandle?handle=nobody.test',
    ])
    expect(stderr()).toContain('@nobody.test is not an account')
    const { record } = calls.at(-1)!.body as { record: { text: string; facets: Facet[] } }
    expect(record.text).toBe('@nobody.test meet @bob.test and @Bob.test')
    const mentions = record.facets.flatMap((f) => f.features)
    expect(mentions).toEqual([
      { $type: 'app.bsky.richtext.facet#mention', did: BOB },
      { $type: 'app.bsky.richtext.facet#mention', did: BOB },
    ])
  })

  it('a lookup the server fails (not "does not resolve") fails the post: no mention silently dropped', async () => {
    const { ctx, paths } = setup()
    await expect(runPost({ text: 'hi @busy.test', langs: [] }, ctx)).rejects.toMatchObject({
      code: 'xrpc_error',
      exitCode: 4,
    })
    expect(paths()).not.toContain('/xrpc/com.atproto.repo.createRecord')
  })

  it('a quote embeds the quoted post by its strong reference', async () => {
    const quoted = { uri: `at://${BOB}/app.bsky.feed.post/quoted`, cid: CID, value: { text: 'q' } }
    const { ctx, calls } = setup({ quoted })
    await runPost(
      { text: 'look', quote: 'https://bsky.app/profile/bob.test/post/quoted', langs: [] },
      ctx,
    )
    const getRecord = calls.find((c) => c.request.path.includes('getRecord'))?.request.path
    expect(new URL(getRecord!, 'https://x').searchParams.get('repo')).toBe('bob.test')
    const { record } = calls.at(-1)!.body as { record: { embed: unknown } }
    expect(record.embed).toEqual({
      $type: 'app.bsky.embed.record',
      record: { uri: quoted.uri, cid: CID },
    })
  })

  it('each image is uploaded with its type and embedded with its description and aspect ratio', async () => {
    const { ctx, calls, stderr } = setup()
    const images = [
      { file: fixture('phone-photo.jpg'), alt: 'a photo' },
      { file: fixture('small.gif'), alt: undefined },
    ]
    await runPost({ text: '', langs: [], images }, ctx)
    const uploads = calls.filter((c) => c.request.path.endsWith('uploadBlob'))
    expect(uploads.map((u) => u.request.headers?.['content-type'])).toEqual([
      'image/jpeg',
      'image/gif',
    ])
    const { record } = calls.at(-1)!.body as { record: { embed: { images: unknown[] } } }
    expect(record.embed.images).toEqual([
      {
        alt: 'a photo',
        image: expect.objectContaining({ mimeType: 'image/jpeg' }),
        aspectRatio: { width: 32, height: 48 },
      },
      {
        alt: '',
        image: expect.objectContaining({ mimeType: 'image/gif' }),
        aspectRatio: expect.any(Object),
      },
    ])
    expect(stderr()).toContain('small.gif has no description')
    expect(stderr()).not.toContain('phone-photo.jpg has no description')
  })

  it('an upload that fails posts nothing', async () => {
    const { ctx, paths } = setup({}, { uploadStatus: 500 })
    const images = [{ file: fixture('small.gif'), alt: 'x' }]
    await expect(runPost({ text: 'hi', langs: [], images }, ctx)).rejects.toMatchObject({
      code: 'xrpc_error',
      exitCode: 4,
    })
    expect(paths()).not.toContain('/xrpc/com.atproto.repo.createRecord')
  })

  it('more than 4 images, or a description over 2,000 characters, is refused before any request', async () => {
    const { ctx, calls } = setup()
    const gif = { file: fixture('small.gif'), alt: 'x' }
    await expect(
      runPost({ text: 'hi', langs: [], images: [gif, gif, gif, gif, gif] }, ctx),
    ).rejects.toMatchObject({ code: 'usage', message: expect.stringContaining('at most 4 images') })
    await expect(
      runPost({ text: 'hi', langs: [], images: [{ ...gif, alt: 'é'.repeat(2001) }] }, ctx),
    ).rejects.toMatchObject({ code: 'usage', message: expect.stringContaining('2001') })
    expect(calls).toEqual([])
  })

  it('the bsky.app link is given only for an account on an https PDS', async () => {
    const local = { ...ALICE, pds: 'http://localhost:2583' }
    const pds = fakePds()
    const { ctx } = fakeContext({
      xrpc: async () => pds.request,
      accounts: new FakeAccounts([local]),
    })
    const result = await runPost({ text: 'local', langs: [] }, ctx)
    expect(result.data).toEqual({
      uri: `at://${ALICE.did}/app.bsky.feed.post/3new`,
      cid: 'bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a',
    })
  })

  it('a reply to a post that does not exist is its own error', async () => {
    const { ctx, calls } = setup({})
    await expect(
      runPost({ text: 'hello', reply: `at://${BOB}/app.bsky.feed.post/gone`, langs: [] }, ctx),
    ).rejects.toMatchObject({ code: 'reply_not_found' })
    expect(calls.some((c) => c.request.path.includes('createRecord'))).toBe(false)
  })
})
