// The text of a post as the Bluesky app writes it (social-app, src/lib/api/index.ts): leading
// blank lines and trailing whitespace trimmed, runs of blank lines cut to one, links, tags and
// mentions detected, links shown short, and mentions that do not resolve left as plain text.
// The record's two limits are checked here, on the text as it will be written, before any request.
import { AtoauthError, ExitCode } from '../errors.js'
import { detectTextFacets, type Facet } from './facet-detection.js'

export type { Facet }

export const MAX_POST_GRAPHEMES = 300
/** app.bsky.feed.post's `text` maxLength, which the lexicon counts in bytes of UTF-8. */
export const MAX_POST_BYTES = 3000

export type PostText = {
  /** What goes into the record. */
  text: string
  /** Links and tags; mention facets still carry the (lowercased) HANDLE in `did` until resolved. */
  facets: Facet[]
  /** The distinct handles mentioned (lowercased), each to be resolved once. */
  mentions: string[]
}

const MENTION = 'app.bsky.richtext.facet#mention'
const LINK = 'app.bsky.richtext.facet#link'
// "Don't break ASCII art": only whole lines of whitespace go from the start.
const LEADING_BLANK_LINES = /^(\s*\n)+/
// Three or more line breaks with only (zero-width) spaces between: @atproto/api's cleanNewlines.
const EXCESS_LINE_BREAKS = /[\r\n](?:[\s\u00AD\u200B-\u200D\u2060]*[\r\n]){2,}/

/** Local only, no network. Throws AtoauthError exit 2 on a limit. '' is allowed (an image post may have no text). */
export function composePostText(raw: string): PostText {
  let cleaned = raw.replace(LEADING_BLANK_LINES, '').trimEnd()
  // One run at a time, as the library does.
  while (EXCESS_LINE_BREAKS.test(cleaned)) cleaned = cleaned.replace(EXCESS_LINE_BREAKS, '\n\n')
  const { text, facets } = shortenLinks(cleaned, withoutOverlaps(detectTextFacets(cleaned)))
  checkLimits(text)
  const mentions = new Set<string>()
  for (const feature of facets.flatMap((facet) => facet.features)) {
    if (feature.$type !== MENTION || feature.did === undefined) continue
    feature.did = feature.did.toLowerCase()
    mentions.add(feature.did)
  }
  return { text, facets, mentions: [...mentions] }
}

/**
 * Resolves each distinct handle once (in parallel) via `resolveHandle`; mention facets whose handle
 * resolved get the DID; the others are dropped (the text stays as typed). `resolveHandle` returns
 * undefined for "does not resolve" and throws for anything else (that error propagates).
 */
export async function resolveMentions(
  post: PostText,
  resolveHandle: (handle: string) => Promise<string | undefined>,
): Promise<{ facets: Facet[]; unresolved: string[] }> {
  const resolved = await Promise.all(post.mentions.map((handle) => resolveHandle(handle)))
  const dids = new Map<string, string>()
  post.mentions.forEach((handle, i) => {
    const did = resolved[i]
    if (did?.startsWith('did:')) dids.set(handle, did)
  })
  const facets = post.facets.flatMap((facet) => {
    const mention = facet.features.find((feature) => feature.$type === MENTION)
    if (mention === undefined) return [facet]
    const did = dids.get(mention.did ?? '')
    if (did === undefined) return []
    return [{ ...facet, features: facet.features.map((f) => (f === mention ? { ...f, did } : f)) }]
  })
  return { facets, unresolved: post.mentions.filter((handle) => !dids.has(handle)) }
}

/**
 * A facet inside another (a mention in a link: `https://x.org/(@bob.test)`) goes, as the app's
 * shortening removes it with the link text: the link wins. Facets come sorted by start.
 */
function withoutOverlaps(facets: Facet[]): Facet[] {
  let end = 0
  return facets.filter((facet) => {
    if (facet.index.byteStart < end) return false
    end = facet.index.byteEnd
    return true
  })
}

/** Each link shows social-app's short form of its URL (toShortUrl); its facet keeps the full URI. */
function shortenLinks(text: string, facets: Facet[]): { text: string; facets: Facet[] } {
  const bytes = Buffer.from(text, 'utf8')
  let shortened = ''
  let read = 0
  let written = 0
  const moved = facets.map((facet) => {
    const { byteStart, byteEnd } = facet.index
    const before = bytes.toString('utf8', read, byteStart)
    const spanned = bytes.toString('utf8', byteStart, byteEnd)
    const shown = facet.features.some((f) => f.$type === LINK) ? shortUrl(spanned) : spanned
    shortened += before + shown
    const start = written + Buffer.byteLength(before)
    written = start + Buffer.byteLength(shown)
    read = byteEnd
    return { ...facet, index: { byteStart: start, byteEnd: written } }
  })
  return { text: shortened + bytes.toString('utf8', read), facets: moved }
}

/** The host, then at most 13 characters of the rest and '...' when the rest is over 15. */
function shortUrl(url: string): string {
  const parsed = URL.parse(url)
  if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') return url
  const rest = (parsed.pathname === '/' ? '' : parsed.pathname) + parsed.search + parsed.hash
  return parsed.host + (rest.length > 15 ? `${rest.slice(0, 13)}...` : rest)
}

/**
 * How many graphemes `text` has when that is over `limit`, else undefined. A grapheme is at
 * least one UTF-16 unit, so a short text is never segmented (making a segmenter costs ~17 ms).
 */
export function graphemesOver(text: string, limit: number): number | undefined {
  if (text.length <= limit) return undefined
  const count = [...new Intl.Segmenter().segment(text)].length
  return count > limit ? count : undefined
}

function checkLimits(text: string): void {
  const graphemes = graphemesOver(text, MAX_POST_GRAPHEMES)
  if (graphemes !== undefined) {
    const message = `The post is ${graphemes} characters long; the limit is ${MAX_POST_GRAPHEMES}.`
    throw limitError('post_too_long', message, graphemes, MAX_POST_GRAPHEMES)
  }
  const bytes = Buffer.byteLength(text)
  if (bytes > MAX_POST_BYTES) {
    const message =
      `The post is ${bytes} bytes long in UTF-8; the limit is ${MAX_POST_BYTES} bytes ` +
      '(emoji and many scripts take several bytes a character).'
    throw limitError('post_too_many_bytes', message, bytes, MAX_POST_BYTES)
  }
}

function limitError(code: string, message: string, length: number, limit: number): AtoauthError {
  return new AtoauthError(code, message, {
    exitCode: ExitCode.usage,
    hint: 'Shorten the text and try again.',
    details: { length, limit },
  })
}
