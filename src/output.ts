// The one place that writes to the terminal. stdout carries only a command's data (text, or one
// JSON document with --json); all meant for a person, spinners too, goes to stderr. Human lines
// pass through terminalText (servers' words must not drive the terminal); JSON and raw bytes are
// the data, and go out exactly.
import { styleText } from 'node:util'
import type { AtoauthError, ExitCodeValue } from './errors.js'
import { formatDuration } from './session-lifetime.js'
import { jsonText, terminalLine, terminalText } from './terminal-text.js'

/**
 * A moment as people read it, the same in every command: local time with its UTC offset, so
 * that it is never ambiguous ("2026-12-16 11:00 UTC+01:00"). --json carries ISO 8601 UTC.
 */
export function localTime(date: Date): string {
  const format = new Intl.DateTimeFormat('en-US', {
    ...{ year: 'numeric', month: '2-digit', day: '2-digit' },
    ...{ hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset' },
  } as const)
  const part = Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]))
  const zone = part.timeZoneName?.replace(/^GMT(\+00:00)?/, 'UTC')
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute} ${zone}`
}

/** localTime with how far it is from now: "… (in 13 d 22 h)", "… (5 min ago)". */
export function localTimeFromNow(date: Date, now: Date): string {
  const ms = date.getTime() - now.getTime()
  return `${localTime(date)} (${ms >= 0 ? `in ${formatDuration(ms)}` : `${formatDuration(-ms)} ago`})`
}

/** What a command returns: the data, and how a person reads it. */
export type CommandResult = {
  data: Record<string, unknown>
  /** Lines for stdout in human mode. */
  text: string[]
  /** Bytes that are the data itself (a non-JSON XRPC response): written as is in both modes. */
  raw?: Uint8Array
  /** A report that is the answer (status, doctor) may still fail this way; its data prints too. */
  exitCode?: ExitCodeValue
}

export type Streams = {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
}

export class Output {
  readonly json: boolean
  readonly #streams: Streams
  readonly #color: boolean

  constructor(options: { json: boolean; color: boolean; streams?: Streams }) {
    this.json = options.json
    this.#color = options.color
    this.#streams = options.streams ?? { stdout: process.stdout, stderr: process.stderr }
  }

  /** Whether stdout is a terminal: a server's bytes must not drive it (see api). */
  get stdoutIsTerminal(): boolean {
    return this.#streams.stdout.isTTY === true
  }

  /** A message for the person at the terminal. */
  info(message: string): void {
    this.#streams.stderr.write(`${terminalText(message)}\n`)
  }

  /** One line, whatever the server's words in it hold. */
  warn(message: string): void {
    this.#streams.stderr.write(`${this.#style('yellow', 'warning:')} ${terminalLine(message)}\n`)
  }

  /** A spinner on stderr, only when stderr is a terminal; otherwise silent. */
  async spinner(text: string) {
    const stderr = this.#streams.stderr as Streams['stderr'] & { columns?: number }
    // A terminal that reports no width (a bare pty) cannot be redrawn in place.
    if (!stderr.isTTY || !(stderr.columns && stderr.columns > 0)) {
      return { update: (_text: string) => {}, stop: () => {} }
    }
    const { default: ora } = await import('ora')
    // discardStdin would put the terminal in raw mode and listen with a
    // listener that never starts the stream: Ctrl-C would be swallowed.
    const spinner = ora({
      text: terminalLine(text),
      stream: stderr,
      color: 'cyan',
      discardStdin: false,
    }).start()
    return {
      update: (t: string) => {
        spinner.text = terminalLine(t)
      },
      stop: () => spinner.stop(),
    }
  }

  result(result: CommandResult): void {
    if (result.raw) {
      this.#streams.stdout.write(result.raw)
    } else if (this.json) {
      this.#streams.stdout.write(`${jsonText(result.data)}\n`)
    } else if (result.text.length > 0) {
      this.#streams.stdout.write(`${terminalText(result.text.join('\n'))}\n`)
    }
  }

  error(err: AtoauthError): void {
    if (this.json) {
      const error = {
        code: err.code,
        message: err.message,
        ...(err.hint ? { hint: err.hint } : {}),
        ...err.details,
      }
      this.#streams.stdout.write(`${jsonText({ error })}\n`)
      return
    }
    // The message and the hint are a line each: a server's line breaks cannot fake another.
    this.#streams.stderr.write(`${this.#style('red', 'error:')} ${terminalLine(err.message)}\n`)
    if (err.hint) this.#streams.stderr.write(`${terminalLine(err.hint)}\n`)
  }

  #style(format: 'red' | 'yellow', text: string): string {
    return this.#color ? styleText(format, text, { stream: this.#streams.stderr }) : text
  }
}
