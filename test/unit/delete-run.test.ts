// delete's run function with fake dependencies: only the account's own post
// is deleted, another account's is refused before any request, and a post
// that is not there is an error of its own.
import { describe, expect, it } from 'vitest'
import type { XrpcAnswer, XrpcRequest } from '../../src/auth/session.ts'
import { runDelete } from '../../src/commands/delete.ts'
import { ALICE, fakeContext, jsonAnswer } from '../support/fake-context.ts'

const answer = (status: number, body: unknown) => jsonAnswer(body, status)

/** A PDS that holds the posts named by rkey, and answers deleteRecord as the reference PDS does. */
function setup(posts: string[]) {
  const calls: XrpcRequest[] = []
  const request = async (req: XrpcRequest): Promise<XrpcAnswer> => {
    calls.push(req)
    if (req.path.startsWith('/xrpc/com.atproto.identity.resolveHandle')) {
      const known: Record<string, string> = { 'alice.new': ALICE.did, 'bob.test': 'did:plc:bob' }
      const did = known[new URL(req.path, 'https://x').searchParams.get('handle') ?? '']
      const body = did ? { did } : { error: 'InvalidRequest', message: 'Unable to resolve handle' }
      return answer(did ? 200 : 400, body)
    }
    const { rkey } = JSON.parse(Buffer.from(req.body ?? []).toString('utf8'))
    // A missing record is a no-op: 200 without a commit.
    return answer(200, posts.includes(rkey) ? { commit: { cid: 'bafy', rev: '3l' } } : {})
  }
  const { ctx } = fakeContext({ xrpc: async () => request })
  return { ctx, calls }
}

const own = `at://${ALICE.did}/app.bsky.feed.post/3abc`

describe('delete', () => {
  it("deletes the account's own post, named by at:// URI or bsky.app link", async () => {
    const { ctx, calls } = setup(['3abc'])
    const byUri = await runDelete({ post: own }, ctx)
    expect(byUri.data).toEqual({ uri: own, deleted: true })
    const byLink = await runDelete({ post: 'https://bsky.app/profile/alice.test/post/3abc' }, ctx)
    expect(byLink.data).toEqual({ uri: own, deleted: true })
    expect(calls.map((c) => [c.method, c.path])).toEqual([
      ['POST', '/xrpc/com.atproto.repo.deleteRecord'],
      ['POST', '/xrpc/com.atproto.repo.deleteRecord'],
    ])
    expect(JSON.parse(Buffer.from(calls[0]!.body!).toString('utf8'))).toEqual({
      repo: ALICE.did,
      collection: 'app.bsky.feed.post',
      rkey: '3abc',
    })
  })

  it("refuses another account's post with exit 2, before anything is written", async () => {
    const { ctx, calls } = setup(['3abc'])
    const bobs = 'at://did:plc:bob00000000000000000000/app.bsky.feed.post/3abc'
    await expect(runDelete({ post: bobs }, ctx)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('is not a post of alice.test'),
    })
    // A DID tells at once; a handle other than the account's known one is looked up first.
    expect(calls).toEqual([])
    const link = 'https://bsky.app/profile/bob.test/post/3abc'
    await expect(runDelete({ post: link }, ctx)).rejects.toMatchObject({ exitCode: 2 })
    expect(calls.map((c) => c.path)).toEqual([
      '/xrpc/com.atproto.identity.resolveHandle?handle=bob.test',
    ])
  })

  it("a link with the account's new handle (changed elsewhere) is its own post", async () => {
    const { ctx, calls } = setup(['3abc'])
    const result = await runDelete({ post: 'https://bsky.app/profile/alice.new/post/3abc' }, ctx)
    expect(result.data).toEqual({ uri: own, deleted: true })
    expect(calls.map((c) => c.path)).toEqual([
      '/xrpc/com.atproto.identity.resolveHandle?handle=alice.new',
      '/xrpc/com.atproto.repo.deleteRecord',
    ])
  })

  it('a post that is not there is post_not_found, exit 1', async () => {
    const { ctx } = setup([])
    await expect(runDelete({ post: own }, ctx)).rejects.toMatchObject({
      code: 'post_not_found',
      exitCode: 1,
      message: `There is no post to delete at ${own}.`,
    })
  })
})
