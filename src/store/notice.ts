// A word to the person while atoauth waits on something outside it (another atoauth process, a
// keyring's unlock prompt): said once, only if the wait lasts, so a quick answer prints nothing.

/** Receives one line of text for a person (stderr by default). */
export type Notice = (message: string) => void

export const noticeOnStderr: Notice = (message) => {
  process.stderr.write(`atoauth: ${message}\n`)
}

/** Says `message` once if the wait is not over after a second; call the result when it is. */
export function noticeIfSlow(notice: Notice, message: string): () => void {
  const timer = setTimeout(() => notice(message), 1_000).unref()
  return () => clearTimeout(timer)
}
