// atoauth completion bash|zsh|fish: a completion script written from the command tree, to
// source from the shell's startup file. `--handles` is what the scripts call for account
// names: it reads accounts.json only, never the keychain.
import { Argument, Command, Option } from 'commander'
import type { Shell } from '../completion/scripts.js'
import type { Context } from '../context.js'
import { UsageError } from '../errors.js'
import type { CommandResult } from '../output.js'
import { withExamples } from './help.js'
import type { Runner } from './runner.js'

// The list the scripts module exports, written here so --help does not load it.
const SHELLS: Shell[] = ['bash', 'zsh', 'fish']

export function completionCommand(run: Runner): Command {
  const completion = new Command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .addArgument(new Argument('[shell]', 'the shell to complete for').choices(SHELLS))
    .addOption(new Option('--handles', 'the account handles, one a line').hideHelp())
  return withExamples(completion, [
    'atoauth completion bash > ~/.local/share/bash-completion/completions/atoauth',
    'atoauth completion zsh > ~/.zsh/completions/_atoauth',
    'atoauth completion fish > ~/.config/fish/completions/atoauth.fish',
  ]).action((shell: string | undefined, flags, command: Command) =>
    run(command, async (ctx) => {
      if (flags.handles) return runHandles(ctx)
      if (shell === undefined)
        throw new UsageError('Which shell?', 'atoauth completion bash|zsh|fish')
      const [{ commandTree }, { completionScript }] = await Promise.all([
        import('../completion/command-tree.js'),
        import('../completion/scripts.js'),
      ])
      const root = command.parent ?? command
      const script = completionScript(shell as Shell, commandTree(root))
      return { data: {}, text: [], raw: Buffer.from(script) }
    }),
  )
}

/** Handles for completing --account, switch and logout; nothing at all when none is known. */
async function runHandles(ctx: Context): Promise<CommandResult> {
  const [accounts, { isValidHandle }] = await Promise.all([
    ctx.accounts.list().catch(() => []),
    import('@atproto/syntax'),
  ])
  // Only what is a handle reaches the shell, whatever an edited accounts.json holds.
  const handles = accounts.map((account) => account.handle).filter((h) => isValidHandle(h))
  return { data: { handles }, text: [], raw: Buffer.from(handles.map((h) => `${h}\n`).join('')) }
}
