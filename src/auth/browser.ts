// Sends the person to the authorization page: their own browser command
// (--browser / ATOAUTH_BROWSER), the system browser, or nothing at all in an
// SSH session or without a display, where xdg-open would start a text-mode
// browser inside the terminal. The URL is printed either way.
import { spawn } from 'node:child_process'
import { type BrowserLaunch, browserLaunch } from './browser-command.js'

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
  const command = choice.command ? browserLaunch(choice.command, url, platform, env) : undefined
  const headless = command ? undefined : noBrowserReason(env, platform)
  if (headless) return { opened: false, reason: headless }
  // The browser inherits process.env (`open` takes no environment), so the
  // secret leaves it until the browser has started.
  const secret = process.env[SECRET_VARIABLE]
  delete process.env[SECRET_VARIABLE]
  try {
    if (command) return await runBrowserCommand(command)
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

function runBrowserCommand({ file, args, options }: BrowserLaunch): Promise<BrowserResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, options)
    child.once('error', (err) => resolve({ opened: false, reason: err.message }))
    child.once('spawn', () => {
      child.unref()
      resolve({ opened: true })
    })
  })
}
