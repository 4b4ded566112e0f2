// post's run function with fake dependencies: every call the @atproto/api
// agent makes goes through the one XRPC requester, and the record it writes
// is the post the person asked for.
import { describe, expect, it } from 'vitest'
import type { XrpcAnswer, XrpcRequest } from '../../src/auth/session.ts'
import { runPost } from '../../src/commands/post.ts'
import { ALICE, fakeContext } from '../support/fake-context.ts'

const BOB = 'did:plc:bob00000000000000000000'

function json(body: unknown, status = 200): XrpcAnswer {
  return {
    status,
    statusText: status === 200 ? 'OK' : 'Error',
    ok: status === 200,
    contentType: 'application/json',
    bytes: Buffer.from(JSON.stringify(body)),
    token: { aud: ALICE.pds, scope: ALICE.scope, expiresAt: undefined },
  }
}

/** A PDS in a function: answers the calls post makes, and keeps them. */
function fakePds(records: Record<string, unknown> = {}) {
  const calls: { request: XrpcRequest; body: unknown }[] = []
  const request = async (req: XrpcRequest): Promise<XrpcAnswer> => {
    const body = req.body ? JSON.parse(Buffer.from(req.body).toString('utf8')) : undefined
    calls.push({ request: req, body })
    const url = new URL(req.path, 'https://pds.example.com')
    switch (url.pathname) {
      case '/xrpc/com.atproto.identity.resolveHandle':
        return json({ did: BOB })
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

function setup(records?: Record<string, unknown>) {
  const pds = fakePds(records)
  const { ctx } = fakeContext({ xrpc: async () => pds.request })
  return { ctx, calls: pds.calls }
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
        text: 'hi @bob.test see https://example.com #atproto',
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
    ).rejects.toMatchObject({ code: 'usage', message: expect.stringContaining('301') })
    expect(calls).toEqual([])
  })

  it('a reply to a post that does not exist is its own error', async () => {
    const { ctx, calls } = setup({})
    await expect(
      runPost({ text: 'hello', reply: `at://${BOB}/app.bsky.feed.post/gone`, langs: [] }, ctx),
    ).rejects.toMatchObject({ code: 'reply_not_found' })
    expect(calls.some((c) => c.request.path.includes('createRecord'))).toBe(false)
  })
})
