// atoauth post <text | ->: a Bluesky post, with links, mentions and hashtags
// turned into rich-text facets; optionally a reply, and tagged languages.
import { text as readText } from 'node:stream/consumers'
import type { Agent } from '@atproto/api'
import type { AtUri } from '@atproto/syntax'
import { Command } from 'commander'
import type { Context } from '../context.js'
import { AtoauthError, UsageError } from '../errors.js'
import type { CommandResult } from '../output.js'
import type { Runner } from './runner.js'

const MAX_POST_GRAPHEMES = 300
/** app.bsky.feed.post allows at most this many language tags. */
const MAX_LANGS = 3
const POST_COLLECTION = 'app.bsky.feed.post'

/** `text` is `-` to read it from stdin. */
export type PostOptions = { text: string; reply: string | undefined; langs: string[] }

export function postCommand(run: Runner): Command {
  return new Command('post')
    .description('publish a post (links, @mentions and #hashtags become rich text)')
    .argument('<text>', 'the text of the post, or - to read it from stdin')
    .option('--reply <at-uri>', 'reply to this post (at://did/app.bsky.feed.post/rkey)')
    .option(
      '--lang <code>',
      'language of the post (BCP 47, e.g. en or pt-BR); repeat or comma-separate, up to 3',
      (value: string, previous: string[] = []) => [...previous, ...value.split(',')],
    )
    .action((text: string, flags, command: Command) =>
      run(command, (ctx) => runPost({ text, reply: flags.reply, langs: flags.lang ?? [] }, ctx)),
    )
}

export async function runPost(options: PostOptions, ctx: Context): Promise<CommandResult> {
  const [{ Agent, RichText }, { AtUri, isValidLanguage }] = await Promise.all([
    import('@atproto/api'),
    import('@atproto/syntax'),
  ])
  const langs = options.langs.map((l) => l.trim()).filter((l) => l !== '')
  const badLang = langs.find((tag) => !isValidLanguage(tag))
  if (badLang !== undefined) {
    throw new UsageError(`--lang "${badLang}" is not a language tag.`, 'Examples: en, de, pt-BR')
  }
  if (langs.length > MAX_LANGS) {
    throw new UsageError(`A post can have at most ${MAX_LANGS} languages; got ${langs.length}.`)
  }
  const replyTo = options.reply === undefined ? undefined : replyTarget(options.reply, AtUri)
  const text = options.text === '-' ? await readText(ctx.stdin) : options.text
  const richText = new RichText({ text: text.trim() })
  if (richText.length === 0) {
    throw new UsageError('The post is empty.', 'Pass the text to post, or - to read it from stdin.')
  }
  if (richText.graphemeLength > MAX_POST_GRAPHEMES) {
    throw new UsageError(
      `The post is ${richText.graphemeLength} characters long; the limit is ${MAX_POST_GRAPHEMES}.`,
      'Shorten the text and try again.',
    )
  }

  const resolved = await ctx.accounts.resolve()
  const [request, { asFetchHandler }] = await Promise.all([
    ctx.xrpc(resolved),
    import('../auth/session.js'),
  ])
  const did = resolved.account.did
  // Every call the agent makes takes the one authenticated way (session.ts).
  const agent = new Agent({ did, fetchHandler: asFetchHandler(request) })
  const [reply] = await Promise.all([
    replyTo ? replyRef(agent, replyTo) : undefined,
    richText.detectFacets(agent),
  ])
  const created = await agent.post({
    text: richText.text,
    facets: richText.facets,
    reply,
    langs: langs.length > 0 ? langs : undefined,
    createdAt: ctx.now().toISOString(),
  })
  const url = `https://bsky.app/profile/${did}/post/${created.uri.split('/').pop()}`
  return { data: { uri: created.uri, cid: created.cid, url, reply }, text: [created.uri, url] }
}

type ReplyTarget = { repo: string; rkey: string; uri: string }

function replyTarget(uri: string, AtUriClass: typeof AtUri): ReplyTarget {
  let parsed: AtUri | undefined
  try {
    parsed = new AtUriClass(uri)
  } catch {}
  if (parsed?.collection !== POST_COLLECTION || !parsed.rkey) {
    throw new UsageError(
      `--reply "${uri}" is not the at:// URI of a post.`,
      `Expected at://<did or handle>/${POST_COLLECTION}/<rkey>, as printed by atoauth post.`,
    )
  }
  return { repo: parsed.host, rkey: parsed.rkey, uri }
}

/** The parent is the post replied to; the root is its thread's first post. */
async function replyRef(agent: Agent, target: ReplyTarget) {
  const parent = await agent.getPost({ repo: target.repo, rkey: target.rkey }).catch((err) => {
    if ((err as { error?: unknown }).error !== 'RecordNotFound') throw err
    const message = `The post to reply to does not exist: ${target.uri}`
    throw new AtoauthError('reply_not_found', message, {
      hint: 'Check the at:// URI (atoauth post prints it).',
    })
  })
  const parentRef = { uri: parent.uri, cid: parent.cid }
  const root = parent.value.reply?.root
  return { root: root ? { uri: root.uri, cid: root.cid } : parentRef, parent: parentRef }
}
