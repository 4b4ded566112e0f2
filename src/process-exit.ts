// How atoauth's process ends. Normally it just ends when its work is done.
// But a keychain call stuck inside the native library (an unlock prompt nobody
// answers) holds one of libuv's threads, and Node's own exit — natural or
// process.exit() — waits for that thread for as long as the call lasts.
// Once such a call was given up on, atoauth leaves by replacing itself with a
// shell that exits with the same code: nothing waits for the stuck thread.
import { existsSync } from 'node:fs'

let stuckNativeCall = false

/** A native call was abandoned: the normal exit would wait for it. */
export function noteStuckNativeCall(): void {
  stuckNativeCall = true
}

/** Ends the process with `code` once its output is written. */
export async function exitWith(code: number): Promise<void> {
  process.exitCode = code
  if (!stuckNativeCall) return
  // Pipes are asynchronous on some platforms: let the last output reach them.
  await Promise.all([flushed(process.stdout), flushed(process.stderr)])
  exitNow(code)
}

/** Ends the process with `code` at once (Ctrl-C pressed twice, say). */
export function exitNow(code: number): never {
  if (!stuckNativeCall) process.exit(code)
  if (typeof process.execve === 'function' && existsSync('/bin/sh')) {
    process.execve('/bin/sh', ['sh', '-c', `exit ${code}`])
  }
  // Windows has no execve; there the exit code is the system's, not ours.
  process.kill(process.pid, 'SIGKILL')
  throw new Error('unreachable: the process was killed')
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()))
}
