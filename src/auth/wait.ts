// Waiting for the browser to come back to the listener: a countdown spinner
// when the browser opened here; otherwise (SSH, no display, --no-browser) it
// runs on another device, whose redirect reaches the listener through an SSH
// tunnel, or the person pastes the URL that browser ended on. The listener
// keeps waiting meanwhile; whichever arrives first wins.
import { hostname, userInfo } from 'node:os'
import { createInterface } from 'node:readline'
import type { Context } from '../context.js'
import { suggestCommand } from '../errors/suggested-command.js'
import { CancelledError } from '../errors.js'
import { isSshSession } from './browser.js'
import type { LoopbackListener } from './listener.js'

export type Waiting<T> = {
  listener: LoopbackListener
  /** The listener's waitForCallback(), started before the browser was opened. */
  answered: Promise<T>
  timeoutSeconds: number
}

type Input = NodeJS.ReadableStream & { isTTY?: boolean; unref?: () => void }

/** The desktop case: a spinner that counts down to the timeout. */
export async function waitWithCountdown<T>(ctx: Context, waiting: Waiting<T>): Promise<T> {
  const endsAt = ctx.now().getTime() + waiting.timeoutSeconds * 1000
  const text = () =>
    `Waiting for the browser to sign in… ${formatRemaining(endsAt - ctx.now().getTime())} left (Ctrl-C to cancel)`
  const spinner = await ctx.out.spinner(text())
  const ticker = setInterval(() => spinner.update(text()), 1000)
  try {
    return await waiting.answered
  } finally {
    clearInterval(ticker)
    spinner.stop()
  }
}

/** No browser here: the instructions for one elsewhere, and the paste prompt. */
export async function waitForRemoteBrowser<T>(
  ctx: Context,
  { listener, answered, timeoutSeconds }: Waiting<T>,
  reason: string | undefined,
  terminal: NodeJS.WritableStream = process.stderr,
): Promise<T> {
  const ssh = isSshSession()
  const why = reason && reason !== '--no-browser' ? ` (${reason})` : ''
  ctx.out.info(`No browser opened here${why}: open the URL above on any device.`)
  if (ssh) {
    ctx.out.info(
      `To let that browser reach this machine, run this on it first, in another terminal:\n\n  ${sshTunnelCommand(listener.port)}\n`,
    )
  }
  // A person at a terminal can paste; in an SSH session without a TTY
  // (ssh host 'atoauth login …') stdin is still their keyboard.
  const input = ctx.stdin as Input
  const canPaste = input.isTTY === true || ssh
  if (canPaste) {
    ctx.out.info(
      `If the browser then shows an error page at ${listener.redirectUri}?…, copy that whole URL from its address bar and paste it here.`,
    )
  }
  ctx.out.info(`Waiting up to ${formatRemaining(timeoutSeconds * 1000)} (Ctrl-C to cancel).`)
  if (!canPaste) return answered
  const pasting = readPastedCallbacks(ctx, listener, input, terminal)
  try {
    return await Promise.race([answered, pasting.cancelled])
  } finally {
    pasting.stop()
  }
}

/** Reads pasted lines until one is accepted or the input ends; says how to stop, and Ctrl-C. */
function readPastedCallbacks(
  ctx: Context,
  listener: LoopbackListener,
  input: Input,
  output: NodeJS.WritableStream,
) {
  const terminal = input.isTTY === true
  const lines = createInterface({ input, output: terminal ? output : undefined, terminal })
  const prompt = () => {
    if (terminal) output.write('Paste the URL here: ')
  }
  // In raw mode Ctrl-C arrives as a line-editing key, not as a signal. It cancels the login, as
  // Ctrl-C does anywhere else (re-sending SIGINT to the process would end it with 1 on Windows).
  const cancelled = new Promise<never>((_, reject) => {
    lines.on('SIGINT', () => reject(new CancelledError('Login cancelled; nothing was stored.')))
  })
  cancelled.catch(() => {}) // raced above
  lines.on('line', async (line) => {
    if (line.trim() === '') return prompt()
    lines.pause()
    const result = await listener.submitPasted(line)
    if (result.accepted) return lines.close()
    ctx.out.warn(`Not accepted: ${result.reason}.`)
    lines.resume()
    prompt()
  })
  prompt()
  const stop = () => {
    lines.close()
    // A pipe that stays open (ssh without a TTY) would keep the process alive.
    input.unref?.()
  }
  return { stop, cancelled }
}

/** The command that forwards a port of the person's own machine to this listener. */
export function sshTunnelCommand(port: number, env: NodeJS.ProcessEnv = process.env): string {
  const user = userName(env)
  const host = `${user ? `${user}@` : ''}${hostname()}`
  return suggestCommand`ssh -N -L ${port}:127.0.0.1:${port} ${host}`
}

function userName(env: NodeJS.ProcessEnv): string | undefined {
  try {
    return env.USER || env.LOGNAME || userInfo().username
  } catch {
    return undefined // no passwd entry for this uid (some containers)
  }
}

/** "4:59", "0:07": minutes and seconds left, never negative. */
export function formatRemaining(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000))
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`
}
