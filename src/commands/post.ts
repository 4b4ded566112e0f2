// atoauth post <text | ->: a Bluesky post, with links, mentions and hashtags
// turned into rich-text facets; optionally a reply, and tagged languages.
import { Command } from 'commander'
import type { Context } from '../context.js'
import { AtoauthError, UsageError } from '../errors.js'
import type { CommandResult } from '../output.js'
import type { Runner } from './runner.js'

export const MAX_POST_GRAPHEMES = 300
/** app.bsky.feed.post allows at most this many language tags. */
const MAX_LANGS = 3
const POST_COLLECTION = 'app.bsky.feed.post'

export type PostOptions = {
  /** The text, or `-` to read it from stdin. */
  text: string
  reply: string | undefined
  langs: string[]
}

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
  const [{ Agent, RichText }, syntax] = await Promise.all([
    import('@atproto/api'),
    import('@atproto/syntax'),
  ])
  const langs = checkLangs(options.langs, syntax.isValidLanguage)
  const replyTo = options.reply === undefined ? undefined : checkReplyUri(options.reply, syntax)
  let text = options.text
  if (text === '-') {
    const { readInputText } = await import('../input.js')
    text = await readInputText('-', ctx.stdin, 'the post')
  }
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
    import('../oauth/xrpc-session.js'),
  ])
  const did = resolved.account.did
  // Every call the agent makes takes the one authenticated way (xrpc-session.ts).
  const agent = new Agent({ did, fetchHandler: asFetchHandler(request) })
  const [reply] = await Promise.all([
    replyTo ? replyRef(agent, replyTo) : undefined,
    richText.detectFacets(agent),
  ])
  const created = await agent.post({
    text: richText.text,
    facets: richText.facets,
    ...(reply ? { reply } : {}),
    ...(langs.length > 0 ? { langs } : {}),
    createdAt: ctx.now().toISOString(),
  })
  const rkey = created.uri.split('/').pop()
  const url = `https://bsky.app/profile/${did}/post/${rkey}`
  return {
    data: { uri: created.uri, cid: created.cid, url, ...(reply ? { reply } : {}) },
    text: [created.uri, url],
  }
}

function checkLangs(langs: string[], isValidLanguage: (tag: string) => boolean): string[] {
  const tags = langs.map((l) => l.trim()).filter((l) => l !== '')
  for (const tag of tags) {
    if (!isValidLanguage(tag)) {
      throw new UsageError(`--lang "${tag}" is not a language tag.`, 'Examples: en, de, pt-BR')
    }
  }
  if (tags.length > MAX_LANGS) {
    throw new UsageError(`A post can have at most ${MAX_LANGS} languages; got ${tags.length}.`)
  }
  return tags
}

type ReplyTarget = { repo: string; rkey: string; uri: string }

function checkReplyUri(
  uri: string,
  syntax: { AtUri: typeof import('@atproto/syntax').AtUri },
): ReplyTarget {
  let parsed: InstanceType<typeof syntax.AtUri> | undefined
  try {
    parsed = new syntax.AtUri(uri)
  } catch {}
  if (!parsed || parsed.collection !== POST_COLLECTION || !parsed.rkey) {
    throw new UsageError(
      `--reply "${uri}" is not the at:// URI of a post.`,
      `Expected at://<did or handle>/${POST_COLLECTION}/<rkey>, as printed by atoauth post.`,
    )
  }
  return { repo: parsed.host, rkey: parsed.rkey, uri }
}

type StrongRef = { uri: string; cid: string }

/** The parent is the post replied to; the root is its thread's first post. */
async function replyRef(
  agent: import('@atproto/api').Agent,
  target: ReplyTarget,
): Promise<{ root: StrongRef; parent: StrongRef }> {
  const parent = await agent.com.atproto.repo
    .getRecord({ repo: target.repo, collection: POST_COLLECTION, rkey: target.rkey })
    .catch((err: unknown) => {
      if ((err as { error?: unknown }).error === 'RecordNotFound') {
        throw new AtoauthError(
          'reply_not_found',
          `The post to reply to does not exist: ${target.uri}`,
          {
            hint: 'Check the at:// URI (atoauth post prints it).',
          },
        )
      }
      throw err
    })
  if (!parent.data.cid) {
    throw new AtoauthError('reply_not_found', `The post to reply to has no CID: ${target.uri}`)
  }
  const parentRef = { uri: parent.data.uri, cid: parent.data.cid }
  const value = parent.data.value as { reply?: { root?: StrongRef } }
  const root = value.reply?.root
  return {
    root: root?.uri && root.cid ? { uri: root.uri, cid: root.cid } : parentRef,
    parent: parentRef,
  }
}
