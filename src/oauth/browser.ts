// Sends the person to the authorization page: their own browser command
// (--browser / ATOAUTH_BROWSER), the system browser, or nothing at all in an
// SSH session or without a display. The URL is printed either way.
import { spawn } from 'node:child_process'
import { parse } from 'shell-quote'
import { UsageError } from '../errors.js'
import { noBrowserReason } from './terminal-environment.js'

export type BrowserChoice = {
  /** A command line; the URL is appended as its one extra argument. */
  command: string | undefined
  /** --no-browser: only print the URL. */
  disabled: boolean
}

export type BrowserResult = { opened: boolean; reason?: string }

/**
 * Variables that hold a secret: a browser (or the user's script) has no use
 * for them, and must not hand them on. ATOAUTH_SESSION_FILE stays: it is a
 * path, and the browser runs as the user, who can read that file anyway.
 */
const SECRET_VARIABLES = ['ATOAUTH_SESSION']

export async function openBrowser(
  url: string,
  choice: BrowserChoice,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Promise<BrowserResult> {
  if (choice.disabled) return { opened: false, reason: '--no-browser' }
  if (choice.command) return runBrowserCommand(choice.command, url, withoutSecrets(process.env))
  const headless = noBrowserReason(env, platform)
  if (headless) return { opened: false, reason: headless }
  // `open` takes no environment: its child inherits process.env, so the
  // secrets leave process.env until the child is started.
  const hidden = Object.entries(process.env).filter(([name]) => SECRET_VARIABLES.includes(name))
  for (const [name] of hidden) delete process.env[name]
  try {
    const { default: open } = await import('open')
    const child = await open(url)
    child.on('error', () => {})
    child.unref()
    return { opened: true }
  } catch (err) {
    return { opened: false, reason: (err as Error).message }
  } finally {
    Object.assign(process.env, Object.fromEntries(hidden))
  }
}

function withoutSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept = { ...env }
  for (const name of SECRET_VARIABLES) delete kept[name]
  return kept
}

export function parseBrowserCommand(command: string): string[] {
  const words = parse(command)
  if (words.length === 0 || words.some((w) => typeof w !== 'string')) {
    throw new UsageError(
      `Cannot run the browser command "${command}": it must be a plain command with arguments.`,
      'Pipes, redirections and variables are not supported; wrap them in a script.',
    )
  }
  return words as string[]
}

function runBrowserCommand(
  command: string,
  url: string,
  env: NodeJS.ProcessEnv,
): Promise<BrowserResult> {
  const [program, ...args] = parseBrowserCommand(command)
  return new Promise((resolve) => {
    const child = spawn(program as string, [...args, url], { detached: true, stdio: 'ignore', env })
    child.once('error', (err) => resolve({ opened: false, reason: err.message }))
    child.once('spawn', () => {
      child.unref()
      resolve({ opened: true })
    })
  })
}
