// A browser command line (--browser, ATOAUTH_BROWSER) read the way its platform reads one. POSIX:
// shell words, by shell-quote. Windows: double quotes group words, a quote inside them is written
// twice, backslashes are plain characters ("C:\Program Files\…\firefox.exe"); and a .cmd or .bat
// program runs through cmd.exe, without which Node refuses to start it (EINVAL since its fix for
// CVE-2024-27980). The URL is always the last argument, and never meets a shell unescaped.
import type { SpawnOptions } from 'node:child_process'
import { parse } from 'shell-quote'
import { UsageError } from '../errors.js'

export type BrowserLaunch = { file: string; args: string[]; options: SpawnOptions }

export function browserLaunch(
  command: string,
  url: string,
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): BrowserLaunch {
  const [program, ...args] = platform === 'win32' ? windowsWords(command) : posixWords(command)
  if (program === undefined || program === '') throw notPlain(command)
  if (platform === 'win32' && /\.(cmd|bat)$/i.test(program)) {
    const line = [escapeForCmd(program), ...[...args, url].map(cmdArgument)].join(' ')
    return {
      file: env.ComSpec ?? 'cmd.exe',
      args: ['/d', '/s', '/c', `"${line}"`],
      // Quoted above already; in atoauth's own console, so that no console window flashes up.
      options: { windowsVerbatimArguments: true, stdio: 'ignore' },
    }
  }
  return { file: program, args: [...args, url], options: { detached: true, stdio: 'ignore' } }
}

function posixWords(command: string): string[] {
  const words = parse(command)
  if (words.some((w) => typeof w !== 'string')) throw notPlain(command)
  return words as string[]
}

/** Words as Windows programs split their command line, backslashes kept as they are. */
function windowsWords(command: string): string[] {
  const words = command.match(/(?:[^\s"]+|"(?:[^"]|"")*(?:"|$))+/g) ?? []
  return words.map((word) =>
    word.replace(/"((?:[^"]|"")*)(?:"|$)/g, (_, inner: string) => inner.replaceAll('""', '"')),
  )
}

/** cmd.exe's special characters, each escaped with ^ so that none of them acts (& | % …). */
const escapeForCmd = (text: string) => text.replace(/[()[\]%!^"`<>&|;, *?]/g, '^$&')

/** One argument as the program behind the batch file will read it, then escaped for cmd.exe. */
function cmdArgument(arg: string): string {
  // Backslashes before a quote, or before the closing quote, are doubled (C runtime rules).
  const quoted = `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\*)$/, '$1$1')}"`
  return escapeForCmd(quoted)
}

function notPlain(command: string): UsageError {
  return new UsageError(
    `Cannot run the browser command "${command}": it must be a plain command with arguments.`,
    'Pipes, redirections and variables are not supported; wrap them in a script.',
  )
}
