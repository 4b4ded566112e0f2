// Leaving the process while a native call holds a libuv thread. The stuck
// call here is a read of a FIFO nobody writes to: like a keychain call waiting
// for an unlock prompt, it occupies a thread-pool thread that never returns.
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Leaving, leaveDespiteStuckCall } from '../../src/process-exit.ts'

// A URL, not a path: a Windows path (C:\…) is no module specifier.
const processExit = pathToFileURL(resolve(import.meta.dirname, '../../src/process-exit.ts')).href

let dir: string

/** A process that starts a call that never returns (tracked as a native one), then leaves. */
function run(body: string) {
  const script = `
    import { readFile } from 'node:fs'
    import { exitNow, exitWith, trackNativeCall } from ${JSON.stringify(processExit)}
    trackNativeCall(new Promise((done) => readFile(${JSON.stringify(join(dir, 'fifo'))}, done)))
    ${body}`
  // The time limit only ends a hung process (SIGTERM) so that the test fails.
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 10_000,
  })
}

// Windows has no FIFO to hang a thread on, and leaves another way (below, with the platform given).
describe.runIf(process.platform !== 'win32')('exitWith while a thread is stuck', () => {
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atoauth-exit-'))
    expect(spawnSync('mkfifo', [join(dir, 'fifo')]).status).toBe(0)
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('leaves with its code and its output written, although a thread is stuck', () => {
    const result = run(`
      process.stdout.write('{"error":{"code":"storage_unavailable"}}\\n')
      await exitWith(5)`)
    expect(result.signal).toBeNull()
    expect(result.status).toBe(5)
    expect(result.stdout).toBe('{"error":{"code":"storage_unavailable"}}\n')
  }, 15_000)

  it('Ctrl-C (exitNow) during the call leaves at once with its code', () => {
    const result = run('setTimeout(() => exitNow(130), 50)')
    expect(result.signal).toBeNull()
    expect(result.status).toBe(130)
  }, 15_000)

  it('a crash during the call is reported, and the process still leaves (exit 1)', () => {
    const result = run("setTimeout(() => { throw new Error('boom') }, 50)")
    expect(result.signal).toBeNull()
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('Error: boom')
  }, 15_000)
})

describe('exitWith', () => {
  it('with no stuck call, lets the process end by itself with the code', () => {
    const result = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { exitWith } from ${JSON.stringify(processExit)}
         setTimeout(() => process.stdout.write('after\\n'), 50)
         await exitWith(3)`,
      ],
      { encoding: 'utf8', timeout: 10_000 },
    )
    expect(result.status).toBe(3)
    // Pending work still runs: the exit is the normal one.
    expect(result.stdout).toBe('after\n')
  }, 15_000)
})

/** A process whose ways of leaving are recorded; each ends the (pretend) process. */
function fakeProcess(platform: NodeJS.Platform) {
  const left: string[] = []
  const leave = (how: string): never => {
    left.push(how)
    throw new Error('left')
  }
  const proc: Leaving = {
    platform,
    pid: 42,
    exit: (code) => leave(`exit ${code}`),
    kill: (pid, signal) => leave(`kill ${pid} ${signal}`),
    // As on Windows, where it exists but throws.
    execve: (file, args) =>
      platform === 'win32' ? leave('execve threw') : leave(`execve ${file} ${args?.join(' ')}`),
  }
  return { proc, left }
}

describe('leaveDespiteStuckCall', () => {
  it('on Windows exits with the code itself (execve exists there but throws; a kill ends with 1)', () => {
    const { proc, left } = fakeProcess('win32')
    expect(() => leaveDespiteStuckCall(130, proc)).toThrow('left')
    expect(left).toEqual(['exit 130'])
  })

  // It looks for /bin/sh on this machine's disk, which Windows does not have.
  it.skipIf(process.platform === 'win32')(
    'on Linux and macOS becomes a shell that exits with the code',
    () => {
      for (const platform of ['linux', 'darwin'] as const) {
        const { proc, left } = fakeProcess(platform)
        expect(() => leaveDespiteStuckCall(5, proc)).toThrow('left')
        expect(left).toEqual(['execve /bin/sh sh -c exit 5'])
      }
    },
  )
})
