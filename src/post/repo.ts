// The repository calls `post` and `delete` make, each one XRPC request through
// the account's one authenticated way (auth/session.ts): on a warm session a
// DPoP-signed fetch, no @atproto/api.
import { jsonOf, type XrpcAnswer, type XrpcRequester, xrpcFailure } from '../auth/session.js'
import { AtoauthError } from '../errors.js'
import type { ImageMimeType } from './image.js'
import type { PostRef } from './post-ref.js'

export const POST_COLLECTION = 'app.bsky.feed.post'

/** A record's strong reference: what replies and quotes point at. */
export type StrongRef = { uri: string; cid: string }

/** A blob as uploadBlob returns it, embedded in the record as is. */
export type BlobRef = { $type: 'blob'; ref: { $link: string }; mimeType: string; size: number }

type Body = { json: unknown } | { bytes: Uint8Array; contentType: string }

async function call(request: XrpcRequester, nsid: string, input: Body | URLSearchParams) {
  if (input instanceof URLSearchParams) {
    return request({ method: 'GET', path: `/xrpc/${nsid}?${input}` })
  }
  const [contentType, body] =
    'json' in input
      ? ['application/json', Buffer.from(JSON.stringify(input.json))]
      : [input.contentType, input.bytes]
  return request({
    method: 'POST',
    path: `/xrpc/${nsid}`,
    headers: { 'content-type': contentType },
    body,
  })
}

/** The answer's JSON, or the request's failure (exit 4, the server's XRPC error). */
function ok<T>(nsid: string, answer: XrpcAnswer): T {
  if (!answer.ok) throw xrpcFailure(nsid, answer)
  return jsonOf(answer.bytes) as T
}

/**
 * The DID of a handle; undefined when the server says it does not resolve (400). Any other
 * failure (a 5xx from the AppView it asks, a rate limit) fails the post: a mention is not
 * silently dropped because a server hiccuped.
 */
export async function resolveHandle(request: XrpcRequester, handle: string) {
  const nsid = 'com.atproto.identity.resolveHandle'
  const answer = await call(request, nsid, new URLSearchParams({ handle }))
  if (answer.status === 400) return undefined
  const { did } = ok<{ did?: unknown }>(nsid, answer)
  return typeof did === 'string' && did.startsWith('did:') ? did : undefined
}

/**
 * The post `ref` points at, with its thread's root. `what` words the error
 * ("The post to reply to", "The post to quote") and `code` names it for scripts.
 */
export async function getPost(
  request: XrpcRequester,
  ref: PostRef,
  missing: { what: string; code: string },
) {
  const nsid = 'com.atproto.repo.getRecord'
  const query = new URLSearchParams({ repo: ref.repo, collection: POST_COLLECTION, rkey: ref.rkey })
  const answer = await call(request, nsid, query)
  // RecordNotFound, or a repo (handle, DID) the server does not know.
  if (answer.status === 400 || answer.status === 404) {
    throw new AtoauthError(missing.code, `${missing.what} does not exist: ${ref.uri}`, {
      hint: 'Check the link or at:// URI: the post may have been deleted.',
    })
  }
  const post = ok<StrongRef & { value: { reply?: { root?: StrongRef } } }>(nsid, answer)
  return { ref: { uri: post.uri, cid: post.cid }, root: post.value?.reply?.root }
}

export async function uploadBlob(
  request: XrpcRequester,
  bytes: Uint8Array,
  contentType: ImageMimeType,
): Promise<BlobRef> {
  const nsid = 'com.atproto.repo.uploadBlob'
  return ok<{ blob: BlobRef }>(nsid, await call(request, nsid, { bytes, contentType })).blob
}

export async function createPost(
  request: XrpcRequester,
  did: string,
  record: Record<string, unknown>,
): Promise<StrongRef> {
  const nsid = 'com.atproto.repo.createRecord'
  const json = { repo: did, collection: POST_COLLECTION, record }
  const { uri, cid } = ok<StrongRef>(nsid, await call(request, nsid, { json }))
  return { uri, cid }
}

/** Whether there was a post to delete: the server answers a missing one with no commit. */
export async function deletePost(request: XrpcRequester, did: string, rkey: string) {
  const nsid = 'com.atproto.repo.deleteRecord'
  const json = { repo: did, collection: POST_COLLECTION, rkey }
  const { commit } = ok<{ commit?: unknown }>(nsid, await call(request, nsid, { json }))
  return commit !== undefined
}
