// atoauth post <text>: a Bluesky post, with links, mentions and hashtags
// turned into rich-text facets.
import { Command } from 'commander'
import type { Context } from '../context.js'
import { UsageError } from '../errors.js'
import type { CommandResult } from '../output.js'
import type { Runner } from './runner.js'

export const MAX_POST_GRAPHEMES = 300

export function postCommand(run: Runner): Command {
  return new Command('post')
    .description('publish a post (links, @mentions and #hashtags become rich text)')
    .argument('<text>', 'the text of the post')
    .action((text: string, _flags, command: Command) =>
      run(command, (ctx) => runPost({ text }, ctx)),
    )
}

export async function runPost(options: { text: string }, ctx: Context): Promise<CommandResult> {
  const { Agent, RichText } = await import('@atproto/api')
  const richText = new RichText({ text: options.text.trim() })
  if (richText.length === 0) throw new UsageError('The post is empty.', 'Pass the text to post.')
  if (richText.graphemeLength > MAX_POST_GRAPHEMES) {
    throw new UsageError(
      `The post is ${richText.graphemeLength} characters long; the limit is ${MAX_POST_GRAPHEMES}.`,
      'Shorten the text and try again.',
    )
  }

  const { restoreAccountSession } = await import('../oauth/account-session.js')
  const { session } = await restoreAccountSession(ctx)
  const agent = new Agent(session)
  await richText.detectFacets(agent)
  const created = await agent.post({
    text: richText.text,
    facets: richText.facets,
    createdAt: ctx.now().toISOString(),
  })
  const rkey = created.uri.split('/').pop()
  const url = `https://bsky.app/profile/${session.did}/post/${rkey}`
  return {
    data: { uri: created.uri, cid: created.cid, url },
    text: [created.uri, url],
  }
}
