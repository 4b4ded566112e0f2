// atoauth delete <post>: deletes one of the account's own posts. Whose post it is can be seen
// in its URI (a handle other than the account's is looked up first), so another account's is
// refused before anything is written.
import { Command } from 'commander'
import type { Context } from '../context.js'
import { suggestCommand } from '../errors/suggested-command.js'
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
  // A DID, or the account's handle as this machine knows it, is decided here. Another handle
  // may be this account's new one: it is looked up, and anything else is refused before any write.
  const known = target.repo === did || target.repo.toLowerCase() === handle.toLowerCase()
  if (target.repo.startsWith('did:') && !known) throw notOwn(target.uri, handle, options.post)
  const [request, repo, { assertScopes }] = await Promise.all([
    ctx.xrpc(resolved),
    import('../post/repo.js'),
    import('../auth/scope-check.js'),
  ])
  if (!known && (await repo.resolveHandle(request, target.repo)) !== did) {
    throw notOwn(target.uri, handle, options.post)
  }
  await assertScopes(resolved.account, [
    { repo: { collection: repo.POST_COLLECTION, action: 'delete' } },
  ])
  const uri = `at://${did}/${repo.POST_COLLECTION}/${target.rkey}`
  if (!(await repo.deletePost(request, did, target.rkey))) {
    throw new AtoauthError('post_not_found', `There is no post to delete at ${uri}.`, {
      hint: 'It may have been deleted already; check the URI (atoauth post prints it).',
    })
  }
  return { data: { uri, deleted: true }, text: [`Deleted ${uri}`] }
}

function notOwn(uri: string, handle: string, given: string): UsageError {
  return new UsageError(
    `${uri} is not a post of ${handle}: an account can only delete its own posts.`,
    suggestCommand`To act for another of your accounts: atoauth delete --account <handle> ${given}`,
  )
}
