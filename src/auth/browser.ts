// Sends the person to the authorization page: their own browser command
// (--browser / ATOAUTH_BROWSER), the system browser, or nothing at all in an
// SSH session or without a display, where xdg-open would start a text-mode
// browser inside the terminal. The URL is printed either way.
import { spawn } from 'node:child_process'
import { parse } from 'shell-quote'
import { UsageError } from '../errors.js'

export type BrowserChoice = {
  /** A command line; the URL is appended as its one extra argument. */
  command: string | undefined
  /** --no-browser: only print the URL. */
  disabled: boolean
}

export type BrowserResult = { opened: boolean; reason?: string }

/**
 * The exported session: a browser (or the user's script) has no use for it,
 * and must not hand it on. ATOAUTH_SESSION_FILE stays: it is a path, and the
 * browser runs as the user, who can read that file anyway.
 */
const SECRET_VARIABLE = 'ATOAUTH_SESSION'

export async function openBrowser(
  url: string,
  choice: BrowserChoice,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Promise<BrowserResult> {
  if (choice.disabled) return { opened: false, reason: '--no-browser' }
  const command = choice.command ? parseBrowserCommand(choice.command) : undefined
  const headless = command ? undefined : noBrowserReason(env, platform)
  if (headless) return { opened: false, reason: headless }
  // The browser inherits process.env (`open` takes no environment), so the
  // secret leaves it until the browser has started.
  const secret = process.env[SECRET_VARIABLE]
  delete process.env[SECRET_VARIABLE]
  try {
    if (command) return await runBrowserCommand(command, url)
    const { default: open } = await import('open')
    const child = await open(url)
    child.on('error', () => {})
    child.unref()
    return { opened: true }
  } catch (err) {
    return { opened: false, reason: (err as Error).message }
  } finally {
    if (secret !== undefined) process.env[SECRET_VARIABLE] = secret
  }
}

export function isSshSession(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.SSH_CONNECTION || env.SSH_CLIENT || env.SSH_TTY)
}

/** Why the system browser must not be started here, if it must not. */
export function noBrowserReason(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  if (isSshSession(env)) return 'this is an SSH session'
  const hasDisplay =
    platform === 'darwin' || platform === 'win32' || env.DISPLAY || env.WAYLAND_DISPLAY
  return hasDisplay ? undefined : 'there is no display'
}

function parseBrowserCommand(command: string): string[] {
  const words = parse(command)
  if (words.length === 0 || words.some((w) => typeof w !== 'string')) {
    throw new UsageError(
      `Cannot run the browser command "${command}": it must be a plain command with arguments.`,
      'Pipes, redirections and variables are not supported; wrap them in a script.',
    )
  }
  return words as string[]
}

function runBrowserCommand([program, ...args]: string[], url: string): Promise<BrowserResult> {
  return new Promise((resolve) => {
    const child = spawn(program as string, [...args, url], { detached: true, stdio: 'ignore' })
    child.once('error', (err) => resolve({ opened: false, reason: err.message }))
    child.once('spawn', () => {
      child.unref()
      resolve({ opened: true })
    })
  })
}
