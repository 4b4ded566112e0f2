// A --browser command is split the way its platform splits one: shell words on Linux and macOS,
// Windows' own rules there (backslashes are path separators, not escapes), and a .cmd or .bat
// program is run through cmd.exe with everything in it escaped, the URL's & and % included.
import { describe, expect, it } from 'vitest'
import { browserLaunch } from '../../src/auth/browser-command.ts'

const URL =
  'https://pds.example/oauth/authorize?client_id=https%3A%2F%2Fa.example&request_uri=urn%3Ax'

describe('a browser command on Linux and macOS', () => {
  it.each(['linux', 'darwin'] as const)('%s: shell words, the URL last', (platform) => {
    expect(browserLaunch("firefox --new-window -P 'my profile'", URL, platform)).toEqual({
      file: 'firefox',
      args: ['--new-window', '-P', 'my profile', URL],
      options: { detached: true, stdio: 'ignore' },
    })
    expect(browserLaunch('/opt/my\\ browser/run', URL, platform).file).toBe('/opt/my browser/run')
  })

  it('a pipe or a variable is refused as a usage error', () => {
    expect(() => browserLaunch('firefox | tee', URL, 'linux')).toThrow(/plain command/)
    expect(() => browserLaunch('', URL, 'linux')).toThrow(/plain command/)
  })
})

describe('a browser command on Windows', () => {
  it('keeps the backslashes of a quoted path with spaces', () => {
    const launch = browserLaunch(
      '"C:\\Program Files\\Mozilla Firefox\\firefox.exe" -new-window',
      URL,
      'win32',
    )
    expect(launch).toEqual({
      file: 'C:\\Program Files\\Mozilla Firefox\\firefox.exe',
      args: ['-new-window', URL],
      options: { detached: true, stdio: 'ignore' },
    })
  })

  it('keeps unquoted backslashes, joins quoted parts to one word, reads "" inside quotes as "', () => {
    const { file, args } = browserLaunch(
      'C:\\Tools\\chrome.exe --user-data-dir="C:\\Temp\\a b\\" --title "say ""hi"""',
      URL,
      'win32',
    )
    expect(file).toBe('C:\\Tools\\chrome.exe')
    expect(args).toEqual(['--user-data-dir=C:\\Temp\\a b\\', '--title', 'say "hi"', URL])
  })

  it('runs a .cmd or .bat through cmd.exe, with every special character escaped', () => {
    const launch = browserLaunch('"C:\\My Tools\\open-in.CMD" work', URL, 'win32', {
      ComSpec: 'C:\\Windows\\system32\\cmd.exe',
    })
    expect(launch.file).toBe('C:\\Windows\\system32\\cmd.exe')
    expect(launch.options).toEqual({ windowsVerbatimArguments: true, stdio: 'ignore' })
    const [d, s, c, line] = launch.args
    expect([d, s, c]).toEqual(['/d', '/s', '/c'])
    expect(line).toBe(
      '"C:\\My^ Tools\\open-in.CMD ^"work^" ' +
        '^"https://pds.example/oauth/authorize^?client_id=https^%3A^%2F^%2Fa.example^&request_uri=urn^%3Ax^""',
    )
    // Nothing cmd.exe acts on is left bare: every & % " | < > ^ carries its ^.
    expect(line?.slice(1, -1).replace(/\^./g, '')).not.toMatch(/[&%"|<>^]/)
  })

  it('a .bat argument ending in a backslash keeps it (C runtime quoting)', () => {
    const { args } = browserLaunch('run.bat C:\\dir\\', URL, 'win32', {})
    expect(args[3]).toContain('^"C:\\dir\\\\^"')
  })

  it('an empty command is a usage error', () => {
    expect(() => browserLaunch('  ', URL, 'win32')).toThrow(/plain command/)
  })
})
