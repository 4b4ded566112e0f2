// The browser atoauth starts — the user's command or the system's, through
// `open` and xdg-open — never gets the exported session in its environment.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openBrowser } from '../../src/auth/browser.ts'

const URL = 'https://pds.example/oauth/authorize?request_uri=x'
const SESSION = '{"secret":"the-exported-session"}'

/** A "browser" that writes its environment to env.txt beside it (on Windows, a batch file). */
function recordingBrowser() {
  const dir = mkdtempSync(join(tmpdir(), 'atoauth-browser-'))
  if (process.platform === 'win32') {
    const script = join(dir, 'record-env.cmd')
    writeFileSync(
      script,
      '@echo off\r\nset > "%~dp0env.part"\r\nmove /y "%~dp0env.part" "%~dp0env.txt" > nul\r\n',
    )
    return { script, envFile: join(dir, 'env.txt') }
  }
  const script = join(dir, 'record-env')
  writeFileSync(
    script,
    '#!/bin/sh\nenv > "$(dirname "$0")/env.part" && mv "$(dirname "$0")/env.part" "$(dirname "$0")/env.txt"\n',
  )
  chmodSync(script, 0o755)
  return { script, envFile: join(dir, 'env.txt') }
}

/** The environment the browser saw, once it has written it. */
async function environmentSeen(envFile: string): Promise<string> {
  for (let waited = 0; waited < 10_000 && !existsSync(envFile); waited += 50) {
    await new Promise((r) => setTimeout(r, 50))
  }
  return readFileSync(envFile, 'utf8')
}

const changed = new Map<string, string | undefined>()
/** Sets a variable of this process until the test ends. */
function setEnv(name: string, value: string | undefined) {
  if (!changed.has(name)) changed.set(name, process.env[name])
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
}
afterEach(() => {
  for (const [name, value] of changed) setEnv(name, value)
  changed.clear()
})

describe('the browser environment', () => {
  it('the --browser command runs without ATOAUTH_SESSION', async () => {
    const { script, envFile } = recordingBrowser()
    setEnv('ATOAUTH_SESSION', SESSION)
    setEnv('ATOAUTH_SESSION_FILE', '/s.json')
    const result = await openBrowser(URL, { command: `"${script}"`, disabled: false })
    expect(result).toEqual({ opened: true })
    const seen = await environmentSeen(envFile)
    expect(seen).not.toContain('the-exported-session')
    expect(seen).not.toMatch(/^ATOAUTH_SESSION=/m)
    // Nothing else is taken away: the command still finds its programs (Windows says "Path").
    expect(seen).toMatch(/^PATH=/im)
    expect(seen).toMatch(/^ATOAUTH_SESSION_FILE=\/s.json\r?$/m)
  })

  // xdg-open's $BROWSER is how this test sees the system browser's environment: Linux only (on
  // macOS and Windows `open` would start the real browser).
  it.runIf(process.platform === 'linux')(
    'the system browser (open, xdg-open) runs without ATOAUTH_SESSION, which atoauth keeps',
    async () => {
      const { script, envFile } = recordingBrowser()
      // xdg-open, outside a known desktop and without a handler for https, runs $BROWSER.
      for (const name of ['XDG_CURRENT_DESKTOP', 'DESKTOP_SESSION', 'KDE_FULL_SESSION']) {
        setEnv(name, undefined)
      }
      const nowhere = mkdtempSync(join(tmpdir(), 'atoauth-xdg-'))
      for (const name of ['XDG_DATA_HOME', 'XDG_DATA_DIRS', 'XDG_CONFIG_HOME', 'XDG_CONFIG_DIRS']) {
        setEnv(name, nowhere)
      }
      setEnv('DISPLAY', ':0')
      setEnv('BROWSER', script)
      setEnv('ATOAUTH_SESSION', SESSION)
      const result = await openBrowser(URL, { command: undefined, disabled: false })
      expect(result).toEqual({ opened: true })
      const seen = await environmentSeen(envFile)
      expect(seen).toContain(`BROWSER=${script}`)
      expect(seen).not.toContain('the-exported-session')
      expect(process.env.ATOAUTH_SESSION).toBe(SESSION)
    },
  )
})
