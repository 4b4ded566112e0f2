// A running atoauth process, for tests that read its output as it comes,
// type into it or signal it (harness.ts starts it).
import type { spawn } from 'node:child_process'

export type CliResult = { code: number; stdout: string; stderr: string }

/** A running atoauth process: its output so far, its input, and its end. */
export class LiveRun {
  stdout = ''
  stderr = ''
  readonly done: Promise<CliResult>
  readonly #child: ReturnType<typeof spawn>

  constructor(child: ReturnType<typeof spawn>) {
    this.#child = child
    child.stdout?.on('data', (chunk) => {
      this.stdout += chunk
    })
    child.stderr?.on('data', (chunk) => {
      this.stderr += chunk
    })
    this.done = new Promise((resolve) => {
      child.on('close', (code, signal) =>
        resolve({ code: code ?? (signal ? -1 : 0), stdout: this.stdout, stderr: this.stderr }),
      )
    })
  }

  get output(): string {
    return this.stdout + this.stderr
  }

  /** Waits until the output so far matches, and returns the match. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const match = this.output.match(pattern)
      if (match) return match
      if (Date.now() > deadline) {
        throw new Error(`no ${pattern} in the output within ${timeoutMs} ms:\n${this.output}`)
      }
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  write(text: string): void {
    this.#child.stdin?.write(text)
  }

  endInput(): void {
    this.#child.stdin?.end()
  }

  /** Signals the process (on a pseudo-terminal, `script`, which passes it on). */
  kill(signal: NodeJS.Signals): void {
    this.#child.kill(signal)
  }
}
