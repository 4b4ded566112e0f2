// The messages below are what @napi-rs/keyring 2.1.2 actually rejected with on
// Debian 12 (libdbus 1.14, gnome-keyring 42) in each situation, errors with the
// same three-level cause chain; test/e2e/keychain-trouble.test.ts provokes the
// same situations end to end.
import { describe, expect, it } from 'vitest'
import {
  diagnoseKeychainFailure,
  isMissingEntry,
  KeyringCallTimeout,
} from '../../src/store/keychain-trouble.ts'

/** An error shaped like the library's: "<kind>: <D-Bus error>" with its causes. */
function keyringError(outer: string, inner: string, innermost?: string): Error {
  const last = new Error(innermost ?? inner)
  return new Error(outer, { cause: innermost ? new Error(inner, { cause: last }) : last })
}

function dbusFailure(message: string): Error {
  return keyringError(`Platform failure: DBus error: ${message}`, `DBus error: ${message}`, message)
}

function storageFailure(message: string): Error {
  return keyringError(`Couldn't access platform storage: ${message}`, message)
}

describe('diagnoseKeychainFailure', () => {
  it('DBUS_SESSION_BUS_ADDRESS unset (libdbus will not autolaunch a bus): no D-Bus', () => {
    const trouble = diagnoseKeychainFailure(
      dbusFailure(
        'Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead',
      ),
      'linux',
    )
    expect(trouble.reason).toBe('no_dbus')
    expect(trouble.summary).toBe(
      'no D-Bus session bus to reach the Secret Service through (DBUS_SESSION_BUS_ADDRESS is not set)',
    )
    expect(trouble.hint).toMatch(/desktop session|dbus-run-session/)
    expect(trouble.hint).toContain('--insecure-storage')
  })

  it('a bus address whose socket is missing or dead: no D-Bus, naming the socket', () => {
    for (const failure of [
      'Failed to connect to socket /tmp/kt/nope: No such file or directory',
      'Failed to connect to socket /tmp/kt/stale: Connection refused',
    ]) {
      const trouble = diagnoseKeychainFailure(dbusFailure(failure), 'linux')
      expect(trouble.reason).toBe('no_dbus')
      expect(trouble.summary).toContain(failure)
    }
  })

  it('a bus where nothing provides org.freedesktop.secrets: no Secret Service', () => {
    for (const failure of [
      'The name org.freedesktop.secrets was not provided by any .service files',
      // dbus-broker's wording for the same D-Bus error (ServiceUnknown).
      'The name is not activatable',
    ]) {
      const trouble = diagnoseKeychainFailure(dbusFailure(failure), 'linux')
      expect(trouble.reason).toBe('no_secret_service')
      expect(trouble.summary).toMatch(/no Secret Service/)
      expect(trouble.hint).toMatch(/gnome-keyring|KeePassXC/)
      expect(trouble.hint).toContain('--insecure-storage')
    }
  })

  it('a locked keyring whose unlock prompt nobody can see: locked', () => {
    const trouble = diagnoseKeychainFailure(
      storageFailure('Secret Service: unlock prompt was dismissed'),
      'linux',
    )
    expect(trouble.reason).toBe('locked')
    expect(trouble.summary).toMatch(/locked/)
    expect(trouble.hint).toMatch(/^Unlock the keyring/)
    expect(trouble.hint).toContain('--insecure-storage')
  })

  it('a keyring daemon with no default collection to store in: no default keyring', () => {
    const trouble = diagnoseKeychainFailure(
      storageFailure('Secret Service: no result found'),
      'linux',
    )
    expect(trouble.reason).toBe('no_default_keyring')
    expect(trouble.hint).toContain('--insecure-storage')
  })

  it('a Secret Service that holds the name but never replies: no answer', () => {
    const trouble = diagnoseKeychainFailure(
      dbusFailure(
        'Did not receive a reply. Possible causes include: the remote application did not send a reply, the message bus security policy blocked the reply, the reply timeout expired, or the network connection was broken.',
      ),
      'linux',
    )
    expect(trouble.reason).toBe('no_answer')
    expect(trouble.summary).toMatch(/did not answer/)
    // The raw libdbus essay stays out of the one-line message.
    expect(trouble.summary).not.toMatch(/Possible causes/)
  })

  it("atoauth's own time limit: no answer within that many seconds", () => {
    const trouble = diagnoseKeychainFailure(new KeyringCallTimeout(3), 'linux')
    expect(trouble.reason).toBe('no_answer')
    expect(trouble.summary).toMatch(/^no answer within 3 s/)
    expect(trouble.hint).toMatch(/unlock prompt/)
  })

  it('anything else keeps the raw cause, with the general fix', () => {
    const trouble = diagnoseKeychainFailure(
      new Error('Platform failure: something new', { cause: new Error('x') }),
      'linux',
    )
    expect(trouble.reason).toBe('other')
    expect(trouble.summary).toBe('x')
    expect(trouble.hint).toContain('--insecure-storage')
  })
})

// What the library wraps on macOS: Security framework's own text for the status
// (SecCopyErrorMessageString), or only the code when the system has no text for it.
describe('diagnoseKeychainFailure on macOS', () => {
  it('a locked keychain (or an access dialog) with no GUI to ask in, as over SSH: no interaction', () => {
    for (const inner of ['User interaction is not allowed.', 'error code -25308']) {
      const trouble = diagnoseKeychainFailure(storageFailure(inner), 'darwin')
      expect(trouble.reason).toBe('macos_no_interaction')
      expect(trouble.hint).toContain('security unlock-keychain')
      expect(trouble.hint).toContain('--insecure-storage')
    }
  })

  it('a keychain password refused, or its dialog cancelled: locked', () => {
    for (const inner of [
      'The user name or passphrase you entered is not correct.',
      'error code -25293',
      'User canceled the operation.',
    ]) {
      const trouble = diagnoseKeychainFailure(storageFailure(inner), 'darwin')
      expect(trouble.reason).toBe('macos_locked')
      expect(trouble.hint).toContain('security unlock-keychain')
    }
  })

  it('no default keychain: no keychain', () => {
    const trouble = diagnoseKeychainFailure(
      storageFailure('A default keychain could not be found.'),
      'darwin',
    )
    expect(trouble.reason).toBe('macos_no_keychain')
    expect(trouble.hint).toContain('security default-keychain')
  })

  it('anything else, or no answer in time: a Mac fix, never a Linux one', () => {
    for (const err of [
      new Error('Platform failure: something new', { cause: new Error('x') }),
      new KeyringCallTimeout(3),
    ]) {
      const trouble = diagnoseKeychainFailure(err, 'darwin')
      expect(trouble.hint).toMatch(/keychain/i)
      expect(trouble.hint).not.toMatch(/gnome|KeePassXC|Seahorse|D-Bus|Linux/i)
    }
  })
})

describe('diagnoseKeychainFailure on Windows', () => {
  it('no logon session (SSH with a key, a scheduled task, a service): no logon session', () => {
    for (const inner of [
      'Windows ERROR_NO_SUCH_LOGON_SESSION',
      'A specified logon session does not exist. It may already have been terminated. (os error 1312)',
      'Windows error code 1312',
    ]) {
      const trouble = diagnoseKeychainFailure(storageFailure(inner), 'win32')
      expect(trouble.reason).toBe('windows_no_logon_session')
      expect(trouble.hint).toMatch(/signed in with your password/)
      expect(trouble.hint).toContain('--insecure-storage')
    }
  })

  it('a value over the 2,560-byte entry limit: too large, a bug to report', () => {
    const trouble = diagnoseKeychainFailure(
      keyringError(
        "Attribute 'password' is longer than the platform limit of 2560 chars",
        'TooLong',
      ),
      'win32',
    )
    expect(trouble.reason).toBe('value_too_large')
    expect(trouble.hint).toMatch(/bug/)
  })

  it('anything else, or no answer in time: a Windows fix, never a Linux one', () => {
    for (const err of [
      new Error('Platform failure: Windows error code 5', { cause: new Error('x') }),
      new KeyringCallTimeout(3),
    ]) {
      const trouble = diagnoseKeychainFailure(err, 'win32')
      expect(trouble.hint).toMatch(/Credential Manager/)
      expect(trouble.hint).not.toMatch(/gnome|KeePassXC|Seahorse|D-Bus|Linux|unlock prompt/i)
    }
  })

  it('a D-Bus message is not read as a Secret Service trouble off Linux', () => {
    const trouble = diagnoseKeychainFailure(
      storageFailure('Secret Service: unlock prompt was dismissed'),
      'win32',
    )
    expect(trouble.reason).toBe('other')
  })
})

describe('isMissingEntry', () => {
  it('"not found" in any platform\'s words means nothing is stored, not a failure', () => {
    for (const inner of [
      'No matching entry found in secure storage',
      'The specified item could not be found in the keychain.',
      'error code -25300',
      'Windows ERROR_NOT_FOUND',
    ]) {
      expect(isMissingEntry(storageFailure(inner))).toBe(true)
    }
    expect(isMissingEntry(storageFailure('User interaction is not allowed.'))).toBe(false)
  })
})
