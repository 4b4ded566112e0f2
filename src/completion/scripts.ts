// Shell completion scripts for bash, zsh and fish, written from the command tree. The tree is
// baked in as data; only account handles are looked up when completing, with
// `atoauth completion --handles`, which reads accounts.json and never the keychain.
import { allCommands, type CommandSpec, type FlagSpec } from './command-tree.js'

export const SHELLS = ['bash', 'zsh', 'fish'] as const
export type Shell = (typeof SHELLS)[number]

const HANDLES = 'atoauth completion --handles 2>/dev/null'

/** A word list as one shell-safe single-quoted word. */
function quoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`
}

const key = (command: CommandSpec) => quoted(command.path.join(' '))

/** `case` arms: one per command, `words` of each. */
function caseArms(commands: CommandSpec[], words: (c: CommandSpec) => string[]): string {
  return commands.map((c) => `    ${key(c)}) echo ${quoted(words(c).join(' '))} ;;`).join('\n')
}

function flagNames(flag: FlagSpec): string[] {
  return flag.short ? [flag.long, flag.short] : [flag.long]
}

function bash(tree: CommandSpec): string {
  const commands = allCommands(tree)
  const globals = [...tree.flags.flatMap(flagNames), '--help']
  const flags = commands.flatMap((c) => (c === tree ? [] : c.flags))
  const all = [...tree.flags, ...flags]
  const valueFlags = [...new Set(all.filter((f) => f.takesValue).flatMap(flagNames))]
  const accountFlags = all.filter((f) => f.takesAccount).flatMap(flagNames)
  const choiceArms = [
    ...new Set(
      all.flatMap((f) =>
        f.choices ? [`    ${flagNames(f).join('|')}) echo ${quoted(f.choices.join(' '))} ;;`] : [],
      ),
    ),
  ].join('\n')
  const positional = (kind: 'account' | 'choices') =>
    commands.filter((c) =>
      kind === 'account' ? c.positional === 'account' : typeof c.positional === 'object',
    )
  return `# atoauth completion for bash. Install: echo 'source <(atoauth completion bash)' >> ~/.bashrc
_atoauth_subcommands() {
  case "$1" in
${caseArms(commands, (c) => c.subcommands.map((s) => s.name))}
  esac
}
_atoauth_flags() {
  case "$1" in
${caseArms(commands, (c) => (c === tree ? [] : c.flags.flatMap(flagNames)))}
  esac
  echo ${quoted(globals.join(' '))}
}
_atoauth_flag_choices() {
  case "$1" in
${choiceArms}
  esac
}
_atoauth_positional_choices() {
  case "$1" in
${caseArms(positional('choices'), (c) => (typeof c.positional === 'object' ? c.positional.choices : []))}
  esac
}
_atoauth_takes_account() {
  case "$1" in
    ${positional('account').map(key).join('|') || "''"}) return 0 ;;
  esac
  return 1
}
# Handles are matched as plain text, never expanded by the shell as compgen -W would.
_atoauth_handles() {
  local handle
  COMPREPLY=()
  while IFS= read -r handle; do
    [[ "$handle" == "$1"* ]] && COMPREPLY+=("$handle")
  done < <(${HANDLES})
}
_atoauth_reply() {
  COMPREPLY=($(compgen -W "$1" -- "$2"))
}
_atoauth() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local cmd_path="" word i value_next=0 positionals=0
  local value_flags=" ${valueFlags.join(' ')} " account_flags=" ${accountFlags.join(' ')} "
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if ((value_next)); then value_next=0; continue; fi
    case "$word" in
      --*=*) continue ;;
      -*) [[ "$value_flags" == *" $word "* ]] && value_next=1; continue ;;
    esac
    if [[ " $(_atoauth_subcommands "$cmd_path") " == *" $word "* ]]; then
      cmd_path="\${cmd_path:+$cmd_path }$word"
    else
      positionals=$((positionals + 1))
    fi
  done
  if ((value_next)); then
    if [[ "$account_flags" == *" $prev "* ]]; then
      _atoauth_handles "$cur"
    elif [[ -n "$(_atoauth_flag_choices "$prev")" ]]; then
      _atoauth_reply "$(_atoauth_flag_choices "$prev")" "$cur"
    else
      COMPREPLY=($(compgen -f -- "$cur"))
    fi
    return
  fi
  if [[ "$cur" == -* ]]; then
    _atoauth_reply "$(_atoauth_flags "$cmd_path")" "$cur"
    return
  fi
  local subcommands
  subcommands="$(_atoauth_subcommands "$cmd_path")"
  if [[ -n "$subcommands" ]]; then
    _atoauth_reply "$subcommands" "$cur"
  elif ((positionals == 0)) && _atoauth_takes_account "$cmd_path"; then
    _atoauth_handles "$cur"
  elif ((positionals == 0)); then
    _atoauth_reply "$(_atoauth_positional_choices "$cmd_path")" "$cur"
  fi
}
complete -F _atoauth atoauth
`
}

function fish(tree: CommandSpec): string {
  const lines = ['# atoauth completion for fish.', 'complete -c atoauth -f']
  const describe = (text: string) => `-d ${quoted(text.split('\n')[0] ?? '')}`
  const flagLine = (flag: FlagSpec, condition: string) => {
    const names = [`-l ${flag.long.slice(2)}`, flag.short ? `-s ${flag.short.slice(1)}` : '']
    const value = flag.takesAccount
      ? `-x -a ${quoted(`(${HANDLES})`)}`
      : flag.choices
        ? `-x -a ${quoted(flag.choices.join(' '))}`
        : flag.takesValue
          ? '-r -F'
          : ''
    return `complete -c atoauth ${condition} ${names.join(' ')} ${value} ${describe(flag.description)}`
      .replace(/ +/g, ' ')
      .trim()
  }
  for (const flag of tree.flags) lines.push(flagLine(flag, ''))
  for (const command of allCommands(tree)) {
    const here =
      command === tree
        ? '-n __fish_use_subcommand'
        : `-n ${quoted(`__fish_seen_subcommand_from ${command.name}`)}`
    for (const sub of command.subcommands) {
      lines.push(`complete -c atoauth ${here} -a ${sub.name} ${describe(sub.description)}`)
    }
    if (command === tree) continue
    for (const flag of command.flags) lines.push(flagLine(flag, here))
    if (command.positional === 'account') {
      lines.push(`complete -c atoauth ${here} -a ${quoted(`(${HANDLES})`)}`)
    } else if (typeof command.positional === 'object') {
      lines.push(`complete -c atoauth ${here} -a ${quoted(command.positional.choices.join(' '))}`)
    }
  }
  return `${lines.join('\n')}\n`
}

export function completionScript(shell: Shell, tree: CommandSpec): string {
  if (shell === 'fish') return fish(tree)
  if (shell === 'bash') return bash(tree)
  // zsh runs the bash script through its bash completion layer.
  return `#compdef atoauth
# atoauth completion for zsh. Install: echo 'source <(atoauth completion zsh)' >> ~/.zshrc
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bash(tree)}`
}
