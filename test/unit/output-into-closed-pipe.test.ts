// A reader that leaves early (`atoauth whoami | head -1`, `atoauth --help | true`)
// closes the pipe: the built binary ends quietly with the command's own exit
// code. Each child's pipe is closed before Node has even started it.
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const BIN = resolve(import.meta.dirname, '../../bin/atoauth.js')
/** No account: commands that need a session fail "not logged in" (exit 3). */
const configDir = mkdtempSync(join(tmpdir(), 'atoauth-pipe-'))

/** Runs atoauth with `closed` ('stdout' or 'stderr') a pipe nobody reads; what the other says. */
function withClosedPipe(args: string[], closed: 'stdout' | 'stderr') {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ATOAUTH_CONFIG_DIR: configDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child[closed].destroy()
  let other = ''
  child[closed === 'stdout' ? 'stderr' : 'stdout'].on('data', (d) => {
    other += d
  })
  return new Promise<{ code: number | null; other: string }>((done) =>
    child.on('close', (code) => done({ code, other })),
  )
}

describe('output into a pipe closed early', () => {
  it.each([
    [['--help'], 0],
    [['--version'], 0],
    [['client-metadata'], 0],
    [['whoami', '--json'], 3],
  ])('atoauth %j | true: exit %i, nothing on stderr about it', async (args, exitCode) => {
    const { code, other: stderr } = await withClosedPipe(args, 'stdout')
    expect(stderr).not.toMatch(/EPIPE|Error|\n\s+at /)
    expect(code).toBe(exitCode)
  })

  it('a closed stderr drops the messages, not the exit code', async () => {
    const { code, other: stdout } = await withClosedPipe(['whoami'], 'stderr')
    expect(stdout).toBe('')
    expect(code).toBe(3)
  })
})
