// atoauth session export | create: a session as one JSON blob, for machines without a keychain
// (CI), used through ATOAUTH_SESSION_FILE or ATOAUTH_SESSION. A refresh token is single-use, and
// replaying a spent one revokes the whole session: `export` copies this machine's session
// (whichever copy refreshes second ends both); `create` signs in again and writes a separate
// session (its own DPoP key and refresh token) to the blob only: the one to hand to CI.
import { resolve } from 'node:path'
import type { NodeSavedSession } from '@atproto/oauth-client-node'
import { Command } from 'commander'
import { type LoginOptions, loginOptions, withLoginOptions } from '../auth/login-options.js'
import type { Context } from '../context.js'
import { accountWord, suggestCommand } from '../errors/suggested-command.js'
import { SessionEndedError } from '../errors.js'
import type { CommandResult } from '../output.js'
import type { AccountIdentity } from '../store/account-index.js'
import { withExamples } from './help.js'
import type { Runner } from './runner.js'

const OUT_HELP = 'write to this file (mode 0600) instead of stdout'
const CREATE_EXAMPLE = 'atoauth session create alice.bsky.social --scope post --out session.json'

export function sessionCommand(run: Runner): Command {
  const create = new Command('create')
    .description('sign in again and write the new, separate session as a JSON blob (for CI)')
    .argument('<account>', 'handle, DID, or PDS / entryway URL')
    .option('--out <file>', OUT_HELP)
  const exportCopy = new Command('export')
    .description(
      "write a copy of this machine's session as a JSON blob (a secret; shares its refresh token)",
    )
    .option('--out <file>', OUT_HELP)
  const session = new Command('session').description(
    'export a session for CI (ATOAUTH_SESSION_FILE / ATOAUTH_SESSION)',
  )
  return withExamples(session, [CREATE_EXAMPLE, 'atoauth session export --out session.json'])
    .addCommand(
      withExamples(exportCopy, [
        'atoauth session export --out session.json',
        'atoauth session export --account alice.bsky.social > session.json',
      ]).action((flags, command: Command) =>
        run(command, (ctx) => runSessionExport({ out: flags.out }, ctx)),
      ),
    )
    .addCommand(
      withExamples(withLoginOptions(create), [
        CREATE_EXAMPLE,
        'atoauth session create alice.bsky.social --scope post,delete | gh secret set ATOAUTH_SESSION',
      ]).action((identifier: string, flags, command: Command) =>
        run(command, (ctx) =>
          runSessionCreate({ ...loginOptions(identifier, flags), out: flags.out }, ctx),
        ),
      ),
    )
}

export async function runSessionExport(
  options: { out: string | undefined },
  ctx: Context,
): Promise<CommandResult> {
  const { account, sessionStore } = await ctx.accounts.resolve()
  const saved = await sessionStore.get(account.did)
  if (!saved) throw new SessionEndedError(account.handle, 'its secrets are no longer stored here')
  ctx.out.warn(
    "this is a copy of this machine's session: the two share one refresh token, and whichever " +
      'refreshes second ends the session for both. For CI, make a separate session instead: ' +
      suggestCommand`atoauth session create ${accountWord(account.handle)} --out <file>`,
  )
  return writeBlob(account, saved, options.out, ctx)
}

export async function runSessionCreate(
  options: LoginOptions & { out: string | undefined },
  ctx: Context,
): Promise<CommandResult> {
  const [{ signIn }, { MemoryStore }] = await Promise.all([
    import('../auth/login.js'),
    import('../auth/client.js'),
  ])
  // The new session goes to the blob only: never to the keychain or the index.
  const store = new MemoryStore<NodeSavedSession>()
  let written: CommandResult | undefined
  await signIn(ctx, options, {
    sessionStore: store,
    // Nobody could use (or revoke) a session not written down: signIn revokes it if this throws.
    keep: async ({ account }) => {
      const saved = await store.get(account.did)
      if (!saved) throw new SessionEndedError(account.handle, 'the new session was not saved')
      written = await writeBlob(account, saved, options.out, ctx)
    },
  })
  if (!written) throw new Error('signIn returned before the session was written')
  return written
}

async function writeBlob(
  account: AccountIdentity,
  saved: NodeSavedSession,
  out: string | undefined,
  ctx: Context,
): Promise<CommandResult> {
  const [{ formatSessionBlob, toSessionBlob }, { writeFileAtomically }] = await Promise.all([
    import('../store/session-blob.js'),
    import('../store/atomic-write.js'),
  ])
  const blob = toSessionBlob(account, saved)
  const secret = 'a secret (tokens and DPoP private key)'
  if (out === undefined) {
    ctx.out.warn(
      `the session printed on stdout is ${secret}: store it as a CI secret and do not log it.`,
    )
    return { data: blob, text: [formatSessionBlob(blob).trimEnd()] }
  }
  const path = resolve(out)
  await writeFileAtomically(path, formatSessionBlob(blob))
  ctx.out.warn(`${out} holds ${secret}: keep it out of logs and repositories.`)
  return {
    data: { did: account.did, handle: account.handle, out: path },
    text: [`Wrote the session of ${account.handle} (${account.did}) to ${out}`],
  }
}
