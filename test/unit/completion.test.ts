// Shell completion, written from the real command tree and run in a real bash: command names,
// flags, nested commands, enum values, and account handles from `atoauth completion --handles`.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildProgram } from '../../src/cli.ts'
import { completionCommand } from '../../src/commands/completion.ts'
import { commandTree } from '../../src/completion/command-tree.ts'
import { completionScript } from '../../src/completion/scripts.ts'

const run = async () => {
  throw new Error('completion is generated without running a command')
}

function program() {
  const root = buildProgram(run)
  if (!root.commands.some((c) => c.name() === 'completion')) root.addCommand(completionCommand(run))
  return root
}

const script = join(mkdtempSync(join(tmpdir(), 'atoauth-completion-')), 'atoauth.bash')
writeFileSync(script, completionScript('bash', commandTree(program())))

/** What bash offers for the command line `words` (the last word is the one being completed). */
function complete(...words: string[]): string[] {
  const program = `
    atoauth() { [ "$*" = "completion --handles" ] && printf '%s\\n' alice.test bob.example.com "$HANDLE_TRAP"; }
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    _atoauth
    printf '%s\\n' "\${COMPREPLY[@]}"`
  const out = execFileSync('bash', ['-c', program, 'bash', script, 'atoauth', ...words], {
    encoding: 'utf8',
  })
  return out.split('\n').filter((line) => line !== '')
}

describe('bash completion', () => {
  it('completes a command name', () => {
    expect(complete('lo')).toEqual(['login', 'logout'])
    expect(complete('')).toEqual(expect.arrayContaining(['login', 'post', 'delete', 'completion']))
  })

  it("completes a command's flag, and the global ones", () => {
    expect(complete('login', '--no-b')).toEqual(['--no-browser'])
    expect(complete('post', '--im')).toEqual(['--image'])
    expect(complete('whoami', '--js')).toEqual(['--json'])
  })

  it('completes nested commands, and enum values', () => {
    const session = complete('session', '')
    expect(session).toEqual(expect.arrayContaining(['export', 'create']))
    expect(session).not.toContain('login')
    expect(complete('session', 'create', '--dev')).toEqual(['--dev-client'])
    expect(complete('completion', '')).toEqual(['bash', 'zsh', 'fish'])
  })

  it('completes account handles for --account, switch and logout', () => {
    expect(complete('--account', '')).toEqual(['alice.test', 'bob.example.com'])
    expect(complete('whoami', '--account', 'b')).toEqual(['bob.example.com'])
    expect(complete('switch', '')).toEqual(['alice.test', 'bob.example.com'])
    expect(complete('logout', 'al')).toEqual(['alice.test'])
  })

  it('never lets the shell expand what the account list holds', () => {
    const trap = join(tmpdir(), `atoauth-completion-trap-${process.pid}`)
    process.env.HANDLE_TRAP = `$(touch ${trap})`
    try {
      expect(complete('switch', '')).toEqual(['alice.test', 'bob.example.com', `$(touch ${trap})`])
      expect(existsSync(trap)).toBe(false)
    } finally {
      delete process.env.HANDLE_TRAP
    }
  })

  it('knows which flags take a value: the word after one is not a command', () => {
    expect(complete('--account', 'alice.test', 'wh')).toEqual(['whoami'])
  })
})

describe('zsh and fish', () => {
  it('zsh runs the bash script through bashcompinit; fish gets complete lines', () => {
    const tree = commandTree(program())
    expect(completionScript('zsh', tree)).toContain('bashcompinit')
    const fish = completionScript('fish', tree)
    expect(fish).toContain('complete -c atoauth -n __fish_use_subcommand -a login')
    expect(fish).toContain("-l account -x -a '(atoauth completion --handles 2>/dev/null)'")
    expect(fish).toContain("-n '__fish_seen_subcommand_from login' -l no-browser")
  })
})
