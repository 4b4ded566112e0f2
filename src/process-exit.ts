// How atoauth's process ends. A keychain call in the native library holds a libuv thread until it
// returns (an unlock prompt nobody answers: for ever), and Node's exit, natural or process.exit(),
// waits for that thread. So while such a call is under way (timed out, or cut short by Ctrl-C),
// atoauth leaves by replacing itself with a shell that exits with the same code.
import { existsSync, writeSync } from 'node:fs'

/** Native calls started and not yet returned, given up on or not. */
let nativeCallsUnderWay = 0

let crashesHandled = false

/** Runs a call that holds a libuv thread; the process can leave while it does. */
export function trackNativeCall<T>(call: Promise<T>): Promise<T> {
  if (!crashesHandled) {
    crashesHandled = true
    // A crash (a bug) would take Node's exit path, which waits for the thread too: leave as above.
    process.on('uncaughtException', (err) => {
      try {
        writeSync(2, `${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
      } catch {
        // stderr is gone too: leave all the same.
      }
      exitNow(1)
    })
  }
  nativeCallsUnderWay++
  return call.finally(() => {
    nativeCallsUnderWay--
  })
}

/** Ends the process with `code` once its output is written. */
export async function exitWith(code: number): Promise<void> {
  process.exitCode = code
  if (nativeCallsUnderWay === 0) return
  // Pipes are asynchronous on some platforms: let the last output reach them.
  await Promise.all([flushed(process.stdout), flushed(process.stderr)])
  exitNow(code)
}

/** Ends the process with `code` at once (Ctrl-C pressed twice, say). */
export function exitNow(code: number): never {
  if (nativeCallsUnderWay === 0) process.exit(code)
  leaveDespiteStuckCall(code, process)
}

/** What leaving needs of the process; a parameter, so that each platform's way can be tested. */
export type Leaving = Pick<NodeJS.Process, 'platform' | 'pid' | 'exit' | 'execve' | 'kill'>

/** Ends the process with `code` although a native call holds a thread. */
export function leaveDespiteStuckCall(code: number, proc: Leaving): never {
  if (proc.platform === 'win32') {
    // process.execve exists on Windows but throws, and a process that kills itself there ends with
    // 1. Credential Manager never waits for a person (it has no unlock prompt), so its call returns
    // by itself: process.exit, which waits for that thread, then ends with the right code.
    proc.exit(code)
  }
  if (proc.execve && existsSync('/bin/sh')) proc.execve('/bin/sh', ['sh', '-c', `exit ${code}`])
  // No shell to become: the exit code is the system's, not ours.
  proc.kill(proc.pid, 'SIGKILL')
  throw new Error('unreachable: the process was killed')
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()))
}
