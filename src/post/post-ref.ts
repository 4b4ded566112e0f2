// A post named the two ways people have one at hand: its at:// URI (what atoauth post prints),
// or the bsky.app link the app's Share button copies.
import { AtUri, isValidDid, isValidHandle, isValidRecordKey } from '@atproto/syntax'
import { UsageError } from '../errors.js'
import { POST_COLLECTION } from './repo.js'

/** `repo` is the DID or handle as given; `uri` is at://<repo>/app.bsky.feed.post/<rkey>. */
export type PostRef = { repo: string; rkey: string; uri: string }

/**
 * An at:// URI of a post, or https://bsky.app/profile/<handle|did>/post/<rkey> (query, hash and a
 * trailing slash ignored). `flag` names where it came from (e.g. '--quote', or 'the post to
 * delete') for the error.
 */
export function parsePostRef(input: string, flag: string): PostRef {
  const ref = toPostRef(pathOf(input.trim()))
  if (typeof ref === 'string') {
    throw new UsageError(
      `${flag} ${JSON.stringify(input)} is not the at:// URI or bsky.app link of a post${ref}.`,
      `Give at://<did or handle>/${POST_COLLECTION}/<rkey> (as atoauth post prints it) ` +
        'or https://bsky.app/profile/<handle or did>/post/<rkey>.',
    )
  }
  return ref
}

/** The post that [repo, collection, rkey] names, or why they name none: ' (…)', or ''. */
function toPostRef(parts: string[] | undefined): PostRef | string {
  if (parts === undefined) return ''
  const [repo = '', collection = '', rkey = '', ...extra] = parts
  if (!isValidDid(repo) && !isValidHandle(repo)) return ` ("${repo}" is not a handle or a DID)`
  if (collection !== POST_COLLECTION && collection !== '')
    return ` (its collection is ${collection})`
  if (collection === '' || rkey === '' || extra.length > 0) return ''
  if (!isValidRecordKey(rkey)) return ` ("${rkey}" is not a record key)`
  return { repo, rkey, uri: `at://${repo}/${POST_COLLECTION}/${rkey}` }
}

/** [repo, collection, rkey, …] of an at:// URI, or of a bsky.app link in the same order. */
function pathOf(input: string): string[] | undefined {
  if (input.startsWith('at://')) {
    try {
      const uri = new AtUri(input)
      return [uri.host, ...uri.pathname.split('/').filter(Boolean)]
    } catch {
      return undefined
    }
  }
  const url = URL.parse(input)
  if (url?.protocol !== 'https:' || url.host !== 'bsky.app') return undefined
  const [profile, repo, post, ...rest] = url.pathname.split('/').filter(Boolean).map(decoded)
  if (profile !== 'profile' || repo === undefined) return undefined
  // The app's /post/ is the collection's place in the at:// URI.
  return [repo, post === 'post' ? POST_COLLECTION : '', ...rest]
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}
