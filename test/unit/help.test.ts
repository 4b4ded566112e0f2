// Help that teaches: every command's --help has 2–4 examples that commander accepts as they are
// written, lists the global flags, and repeats no default; `version` and `help <command>` behave
// like --version and like an unknown command does.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Command } from 'commander'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { buildProgram, main } from '../../src/cli.ts'
import type { Runner } from '../../src/commands/runner.ts'
import { VERSION } from '../../src/version.ts'

const GLOBAL_FLAGS = ['--json', '--account <handle|did>', '--insecure-storage', '--no-color']

/** Every command below the program, as the words that name it ("session create"). */
function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((sub) => {
    const path = [...prefix, sub.name()]
    return [path, ...commandPaths(sub, path)]
  })
}

/** Parses `args` as the program does, with a runner that only records which command it got. */
async function parse(args: string[]) {
  const ran: string[] = []
  const run: Runner = async (command) => {
    ran.push(command.name())
  }
  const program = buildProgram(run)
  let out = ''
  const configure = (command: Command) => {
    command.exitOverride()
    command.configureOutput({
      writeOut: (text) => {
        out += text
      },
      writeErr: (text) => {
        out += text
      },
      getOutHelpWidth: () => 200,
      getErrHelpWidth: () => 200,
    })
    command.commands.forEach(configure)
  }
  configure(program)
  const error = await program.parseAsync(args, { from: 'user' }).then(
    () => undefined,
    (err: { code: string }) => err,
  )
  return { program, out, error, ran }
}

/** The words of an example's first command, up to a pipe, redirection or comment. */
function exampleArgs(line: string): string[] {
  const words = line.match(/"[^"]*"|'[^']*'|\S+/g) ?? []
  const end = words.findIndex((w) => /^(\||&&|>|<|#)/.test(w))
  return words.slice(1, end === -1 ? undefined : end).map((w) => w.replace(/^(["'])(.*)\1$/, '$2'))
}

const { program } = await parse([])
const paths = commandPaths(program).filter((path) => path.at(-1) !== 'help')

describe.each(paths.map((path) => [path.join(' '), path]))('atoauth %s --help', (_name, path) => {
  it('shows 2 to 4 examples, and commander accepts each as written', async () => {
    const { out } = await parse([...path, '--help'])
    const examples = (out.split('\nExamples:\n')[1] ?? '').trimEnd().split('\n')
    expect(examples.length).toBeGreaterThanOrEqual(2)
    expect(examples.length).toBeLessThanOrEqual(4)
    for (const example of examples) {
      expect(example).toMatch(new RegExp(`^ {2}\\$ atoauth ${path.join(' ')}( |$)`))
      const { error, ran } = await parse(exampleArgs(example.trim().slice(2)))
      // A parent command's example runs one of its subcommands.
      expect({ example, error, ran }).toEqual({
        example,
        error: undefined,
        ran: [expect.any(String)],
      })
    }
  })

  it('lists the global flags', async () => {
    const { out } = await parse([...path, '--help'])
    const globals = out.split('\nGlobal Options:\n')[1] ?? ''
    for (const flag of GLOBAL_FLAGS) expect(globals).toContain(`  ${flag}  `)
    expect(globals).not.toContain('--version')
  })
})

describe('defaults in help', () => {
  it('no option or argument states its default twice', () => {
    const everyCommand = [program, ...paths.map((p) => p.reduce(sub, program))]
    const descriptions = everyCommand.flatMap((command) => {
      const help = command.createHelp()
      return [
        ...command.options.map((o) => `${command.name()} ${o.flags}: ${help.optionDescription(o)}`),
        ...command.registeredArguments.map(
          (a) => `${command.name()} ${a.name()}: ${help.argumentDescription(a)}`,
        ),
      ]
    })
    expect(descriptions.length).toBeGreaterThan(30)
    expect(descriptions.filter((d) => d.split('(default:').length > 2)).toEqual([])
  })
})

function sub(parent: Command, name: string): Command {
  const found = parent.commands.find((c) => c.name() === name)
  if (!found) throw new Error(`no command ${name}`)
  return found
}

describe('version and help <command>, as the program runs them', () => {
  let stdout = ''
  let stderr = ''
  beforeEach(() => {
    stdout = ''
    stderr = ''
    vi.stubEnv('ATOAUTH_CONFIG_DIR', mkdtempSync(join(tmpdir(), 'atoauth-unit-')))
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += chunk
      return true
    })
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr += chunk
      return true
    })
  })
  afterEach(() => {
    vi.restoreAllMocks()
    vi.unstubAllEnvs()
  })
  const atoauth = (...args: string[]) => main(['node', 'atoauth', ...args])

  it('`atoauth version` prints what --version prints', async () => {
    expect(await atoauth('--version')).toBe(0)
    const flag = stdout
    stdout = ''
    expect(await atoauth('version')).toBe(0)
    expect(stdout).toBe(flag)
    expect(stdout).toBe(`${VERSION}\n`)
  })

  it('`atoauth version --json` prints {"version": …}', async () => {
    expect(await atoauth('version', '--json')).toBe(0)
    expect(JSON.parse(stdout)).toEqual({ version: VERSION })
  })

  it.each(['login', 'session create'])('`atoauth help %s` shows its help', async (name) => {
    expect(await atoauth('help', ...name.split(' '))).toBe(0)
    expect(stdout).toContain(`Usage: atoauth ${name} [options]`)
    expect(stderr).toBe('')
  })

  it('`atoauth help <unknown>` is a usage error naming it, with a suggestion', async () => {
    expect(await atoauth('help', 'sesion')).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toBe("error: unknown command 'sesion'\n(Did you mean session?)\n")
  })

  it('`atoauth session help <unknown>` too', async () => {
    expect(await atoauth('session', 'help', 'frobnicate')).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toContain("error: unknown command 'frobnicate'")
  })

  it('with --json the unknown command is a JSON usage error', async () => {
    expect(await atoauth('help', 'frobnicate', '--json')).toBe(2)
    expect(JSON.parse(stdout)).toEqual({
      error: { code: 'usage', message: "unknown command 'frobnicate'" },
    })
  })
})
