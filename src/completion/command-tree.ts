// The command tree as shell completion needs it, read from the commander program itself: a
// command, flag or choice added to the CLI is completed without touching the scripts.
import type { Command, Option } from 'commander'

export type FlagSpec = {
  /** `--scope`; a flag without a long name is not offered. */
  long: string
  short: string | undefined
  description: string
  takesValue: boolean
  /** The values it accepts, when commander knows them (enum-like flags). */
  choices: string[] | undefined
  /** Its value is one of the accounts on this machine. */
  takesAccount: boolean
}

export type CommandSpec = {
  /** The word that names it (`create`). */
  name: string
  /** The words that lead to it: `['session', 'create']`; `[]` for the program. */
  path: string[]
  description: string
  flags: FlagSpec[]
  subcommands: CommandSpec[]
  /** What its first positional argument completes to. */
  positional: { choices: string[] } | 'account' | undefined
}

/** Arguments named like these are accounts (`switch <handle|did>`, `logout [account]`). */
const ACCOUNT_ARGUMENT = /account|handle/

function flagSpec(option: Option): FlagSpec | undefined {
  if (!option.long || option.hidden) return undefined
  return {
    long: option.long,
    short: option.short,
    description: option.description,
    takesValue: option.required || option.optional,
    choices: option.argChoices,
    takesAccount: option.long === '--account',
  }
}

export function commandTree(command: Command, path: string[] = []): CommandSpec {
  const [argument] = command.registeredArguments
  const positional =
    argument === undefined
      ? undefined
      : argument.argChoices
        ? { choices: argument.argChoices }
        : ACCOUNT_ARGUMENT.test(argument.name())
          ? ('account' as const)
          : undefined
  return {
    name: command.name(),
    path,
    description: command.description(),
    flags: command.options.flatMap((option) => flagSpec(option) ?? []),
    subcommands: command.commands
      .filter((sub) => !(sub as Command & { _hidden?: boolean })._hidden)
      .map((sub) => commandTree(sub, [...path, sub.name()])),
    positional,
  }
}

/** Every command in the tree, the program first. */
export function allCommands(tree: CommandSpec): CommandSpec[] {
  return [tree, ...tree.subcommands.flatMap(allCommands)]
}
