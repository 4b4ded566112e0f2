// The way in for a machine whose browser is elsewhere (SSH, a headless box):
// the person signs in on any device, and when the redirect to 127.0.0.1 fails
// there, copies that URL from the address bar and pastes it here. The
// listener keeps waiting meanwhile; whichever arrives first wins.
import { createInterface } from 'node:readline'
import type { LoopbackListener } from './loopback-listener.js'

export type PasteOptions = {
  input: NodeJS.ReadableStream & { isTTY?: boolean }
  output: NodeJS.WritableStream
  /** Where to tell the person about a pasted line that was not accepted. */
  say: (message: string) => void
  /** Aborted once the login is over, however it ended. */
  signal: AbortSignal
}

/** Reads pasted lines until one is accepted, the input ends, or the login is over. */
export function acceptPastedCallbacks(listener: LoopbackListener, options: PasteOptions): void {
  const { input, signal } = options
  const terminal = input.isTTY === true
  const lines = createInterface({ input, output: terminal ? options.output : undefined, terminal })
  const prompt = () => {
    if (terminal) options.output.write('Paste the URL here: ')
  }
  // In raw mode Ctrl-C arrives as a line-editing key, not as a signal: pass it on.
  lines.on('SIGINT', () => process.kill(process.pid, 'SIGINT'))
  lines.on('line', async (line) => {
    if (line.trim() === '') return prompt()
    lines.pause()
    const result = await listener.submitPasted(line)
    if (result.accepted) return lines.close()
    options.say(`Not accepted: ${result.reason}.`)
    lines.resume()
    prompt()
  })
  signal.addEventListener(
    'abort',
    () => {
      lines.close()
      // A pipe that stays open (ssh without a TTY) would keep the process alive.
      ;(input as { unref?: () => void }).unref?.()
    },
    { once: true },
  )
  prompt()
}
