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

export async function openBrowser(
  url: string,
  choice: BrowserChoice,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Promise<BrowserResult> {
  if (choice.disabled) return { opened: false, reason: '--no-browser' }
  if (choice.command) return runBrowserCommand(choice.command, url)
  const headless = noBrowserReason(env, platform)
  if (headless) return { opened: false, reason: headless }
  try {
    const { default: open } = await import('open')
    const child = await open(url)
    child.on('error', () => {})
    child.unref()
    return { opened: true }
  } catch (err) {
    return { opened: false, reason: (err as Error).message }
  }
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

function runBrowserCommand(command: string, url: string): Promise<BrowserResult> {
  const [program, ...args] = parseBrowserCommand(command)
  return new Promise((resolve) => {
    const child = spawn(program as string, [...args, url], { detached: true, stdio: 'ignore' })
    child.once('error', (err) => resolve({ opened: false, reason: err.message }))
    child.once('spawn', () => {
      child.unref()
      resolve({ opened: true })
    })
  })
}
