// atoauth delete <post>: deletes one of the account's own posts. Whose post it
// is can be seen in its URI, so another account's is refused before any request.
import { Command } from 'commander'
import type { Context } from '../context.js'
import { AtoauthError, UsageError } from '../errors.js'
import type { CommandResult } from '../output.js'
import { withExamples } from './help.js'
import type { Runner } from './runner.js'

export function deleteCommand(run: Runner): Command {
  const del = new Command('delete')
    .description("delete one of the account's own posts")
    .argument('<post>', 'the at:// URI of the post, or its https://bsky.app/profile/…/post/… link')
  return withExamples(del, [
    'atoauth delete https://bsky.app/profile/alice.bsky.social/post/3lbxbq5ttlc2d',
    'atoauth delete at://alice.bsky.social/app.bsky.feed.post/3lbxbq5ttlc2d',
    'atoauth delete "$(atoauth post \'Testing, please ignore\' --json | jq -r .uri)"',
  ]).action((post: string, _flags, command: Command) =>
    run(command, (ctx) => runDelete({ post }, ctx)),
  )
}

export async function runDelete(options: { post: string }, ctx: Context): Promise<CommandResult> {
  const { parsePostRef } = await import('../post/post-ref.js')
  const target = parsePostRef(options.post, 'the post to delete')
  const resolved = await ctx.accounts.resolve()
  const { did, handle } = resolved.account
  if (target.repo !== did && target.repo.toLowerCase() !== handle.toLowerCase()) {
    throw new UsageError(
      `${target.uri} is not a post of ${handle}: an account can only delete its own posts.`,
      `To act for another of your accounts: atoauth delete --account <handle> ${options.post}`,
    )
  }
  const [request, { deletePost, POST_COLLECTION }, { assertScopes }] = await Promise.all([
    ctx.xrpc(resolved),
    import('../post/repo.js'),
    import('../auth/scope-check.js'),
  ])
  await assertScopes(resolved.account, [
    { repo: { collection: POST_COLLECTION, action: 'delete' } },
  ])
  const uri = `at://${did}/${POST_COLLECTION}/${target.rkey}`
  if (!(await deletePost(request, did, target.rkey))) {
    throw new AtoauthError('post_not_found', `There is no post to delete at ${uri}.`, {
      hint: 'It may have been deleted already; check the URI (atoauth post prints it).',
    })
  }
  return { data: { uri, deleted: true }, text: [`Deleted ${uri}`] }
}
