// Help that teaches: examples under each command (as gh has them), the global flags listed in
// every command's help, and a `help <command>` that calls an unknown name unknown.
import { Command, Help } from 'commander'

/** An "Examples:" section after the command's help; each line is a shell command line. */
export function withExamples(command: Command, lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`)
}

/**
 * Shows the global flags in the help of `program`'s commands, at every depth (addCommand does
 * not copy help settings), and gives each command that has subcommands our `help` command.
 */
export function teachHelp(program: Command): void {
  if (program.commands.length > 0) program.helpCommand(false).addCommand(helpCommand(program))
  for (const command of program.commands) {
    command.configureHelp({
      showGlobalOptions: true,
      // --version is the program's flag, not one that changes what a command does.
      visibleGlobalOptions(cmd) {
        return Help.prototype.visibleGlobalOptions
          .call(this, cmd)
          .filter((o) => o.long !== '--version')
      },
    })
    teachHelp(command)
  }
}

/** Commander's own would print the program's help for a name it does not know. */
function helpCommand(parent: Command): Command {
  return withExamples(
    new Command('help')
      .description('show the help of a command')
      .argument('[command...]', 'the command, e.g. login or session create'),
    parent.commands.slice(0, 2).map((c) => `${path(parent)} help ${c.name()}`),
  ).action((names: string[]) => {
    let command = parent
    for (const name of names) {
      const sub = command.commands.find((c) => c.name() === name || c.aliases().includes(name))
      if (!sub) {
        // Commander's unknown-command error (usage, exit 2), with its "Did you mean …?".
        command.args = [name]
        ;(command as unknown as { unknownCommand(): never }).unknownCommand()
      }
      command = sub as Command
    }
    command.help()
  })
}

function path(command: Command): string {
  return command.parent ? `${path(command.parent)} ${command.name()}` : command.name()
}
