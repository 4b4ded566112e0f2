// What a command's run() receives: its dependencies, so tests can hand it
// fakes and commands never reach for globals.
import type { Output } from './output.js'
import type { Settings } from './settings.js'

export type Context = {
  settings: Settings
  out: Output
  /** Aborted when the person presses Ctrl-C. */
  signal: AbortSignal
  now: () => Date
  /** Read only when the person asks for it (`-`); never prompted from. */
  stdin: NodeJS.ReadableStream
  /** The account the command acts for, once known: errors then name it. */
  actingFor?: { handle: string }
}
