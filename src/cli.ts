// The commander program: global flags, the commands, and the one place where
// results and errors become output and an exit code.
import { Command, CommanderError, Option } from 'commander'
import { createContext } from './app.js'
import { accountsCommand } from './commands/accounts.js'
import { apiCommand } from './commands/api.js'
import { clientMetadataCommand } from './commands/client-metadata.js'
import { completionCommand } from './commands/completion.js'
import { deleteCommand } from './commands/delete.js'
import { doctorCommand } from './commands/doctor.js'
import { teachHelp } from './commands/help.js'
import { loginCommand } from './commands/login.js'
import { logoutCommand } from './commands/logout.js'
import { postCommand } from './commands/post.js'
import type { Runner } from './commands/runner.js'
import { sessionCommand } from './commands/session.js'
import { statusCommand } from './commands/status.js'
import { switchCommand } from './commands/switch.js'
import { versionCommand } from './commands/version.js'
import { whoamiCommand } from './commands/whoami.js'
import type { Context } from './context.js'
import { AtoauthError, ExitCode, toAtoauthError } from './errors.js'
import { handleInterrupts, interruption, interruptionWaited } from './interrupts.js'
import { Output } from './output.js'
import { type GlobalFlags, resolveSettings } from './settings.js'
import { VERSION } from './version.js'

// The launcher (bin/atoauth.js) ends the process through it.
export { exitWith } from './process-exit.js'

export function buildProgram(run: Runner): Command {
  const program = new Command('atoauth')
    .description('Use AT Protocol (Bluesky) accounts from a terminal, a shell script or a CI job.')
    .version(VERSION, '-V, --version')
    .option('--json', 'print one JSON document on stdout, for success and failure')
    .option(
      '--account <handle|did>',
      'act for this logged-in account (default: ATOAUTH_ACCOUNT, else the default one)',
    )
    .option(
      '--insecure-storage',
      'keep sessions in a plaintext 0600 file instead of the OS keychain',
    )
    .addOption(new Option('--no-color', 'never use colors (NO_COLOR is honoured too)'))
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 error, 2 usage, 3 not logged in or session ended, 4 network or server,\n' +
        '5 keychain unavailable, 130 cancelled (129 SIGHUP, 143 SIGTERM). See the README for the details.',
    )
  for (const command of [
    loginCommand(run),
    whoamiCommand(run),
    accountsCommand(run),
    statusCommand(run),
    switchCommand(run),
    postCommand(run),
    deleteCommand(run),
    apiCommand(run),
    sessionCommand(run),
    logoutCommand(run),
    clientMetadataCommand(run),
    doctorCommand(run),
    versionCommand(run),
    completionCommand(run),
  ]) {
    program.addCommand(command)
  }
  teachHelp(program)
  return program
}

/** Any failure as an AtoauthError; the libraries' own errors are read where they are known. */
async function explain(err: unknown, actingFor?: { handle: string }): Promise<AtoauthError> {
  // Ours, wrapped by a library on its way out (an error thrown inside its fetch).
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof AtoauthError) return e
  const known = toAtoauthError(err)
  if (known.code !== 'internal') return known
  const { fromLibraryError } = await import('./errors/library-errors.js')
  return fromLibraryError(err, actingFor) ?? known
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const jsonRequested = argv.includes('--json')
  const cancel = new AbortController()
  // Ctrl-C, SIGTERM and SIGHUP cancel the command, except while a token answer is being kept.
  const stopHandling = handleInterrupts({
    cancel,
    // Asked only when a signal comes: process.stdin, once touched, opens a stream (~1 ms).
    atTerminal: () => Boolean(process.stdin.isTTY || process.stderr.isTTY),
    // A terminal that hung up answers writes with EIO: the launcher lets that pass.
    say: (line) => process.stderr.write(`${line}\n`),
  })

  let exitCode: number = ExitCode.ok
  let output = new Output({ json: jsonRequested, color: process.env.NO_COLOR === undefined })
  const run: Runner = async (command, fn) => {
    let ctx: Context | undefined
    try {
      const settings = resolveSettings(command.optsWithGlobals<GlobalFlags>())
      output = new Output({ json: settings.json, color: settings.color })
      ctx = createContext(settings, output, cancel.signal)
      const result = await fn(ctx)
      // A signal held back while a token answer was kept: the command stops as the signal asked.
      const interrupted = interruption()
      if (interrupted) throw interrupted
      output.result(result)
      exitCode = result.exitCode ?? ExitCode.ok
    } catch (err) {
      const explained = await explain(err, ctx?.actingFor)
      // The command's own word on a cancellation ("Login cancelled; nothing was stored.") stands,
      // unless the signal waited for a token answer: then what was kept is the news.
      const interrupted = interruption()
      const error =
        interrupted && (interruptionWaited() || explained.code !== 'cancelled')
          ? interrupted
          : explained
      output.error(error)
      exitCode = error.exitCode
    }
  }

  const program = buildProgram(run)
  // In --json mode a usage error is reported as a JSON document instead.
  const writeErr = (text: string) => {
    if (!jsonRequested) process.stderr.write(text)
  }
  const configure = (command: Command) => {
    command.exitOverride()
    command.configureOutput({ writeErr })
    command.commands.forEach(configure)
  }
  configure(program)

  try {
    await program.parseAsync(argv)
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err
    if (err.exitCode === 0) return ExitCode.ok // --help, --version
    if (jsonRequested) {
      output.error(
        new AtoauthError('usage', err.message.replace(/^error: /, ''), {
          exitCode: ExitCode.usage,
        }),
      )
    }
    return ExitCode.usage
  } finally {
    stopHandling()
  }
  return exitCode
}
