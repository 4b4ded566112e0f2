// The messages below are what @napi-rs/keyring 2.1.2 actually rejected with on
// Debian 12 (libdbus 1.14, gnome-keyring 42) in each situation, errors with the
// same three-level cause chain; test/e2e/keychain-trouble.test.ts provokes the
// same situations end to end.
import { describe, expect, it } from 'vitest'
import { diagnoseKeychainFailure, KeyringCallTimeout } from '../../src/store/keychain-trouble.ts'

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
      const trouble = diagnoseKeychainFailure(dbusFailure(failure))
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
      const trouble = diagnoseKeychainFailure(dbusFailure(failure))
      expect(trouble.reason).toBe('no_secret_service')
      expect(trouble.summary).toMatch(/no Secret Service/)
      expect(trouble.hint).toMatch(/gnome-keyring|KeePassXC/)
      expect(trouble.hint).toContain('--insecure-storage')
    }
  })

  it('a locked keyring whose unlock prompt nobody can see: locked', () => {
    const trouble = diagnoseKeychainFailure(
      storageFailure('Secret Service: unlock prompt was dismissed'),
    )
    expect(trouble.reason).toBe('locked')
    expect(trouble.summary).toMatch(/locked/)
    expect(trouble.hint).toMatch(/^Unlock the keyring/)
    expect(trouble.hint).toContain('--insecure-storage')
  })

  it('a keyring daemon with no default collection to store in: no default keyring', () => {
    const trouble = diagnoseKeychainFailure(storageFailure('Secret Service: no result found'))
    expect(trouble.reason).toBe('no_default_keyring')
    expect(trouble.hint).toContain('--insecure-storage')
  })

  it('a Secret Service that holds the name but never replies: no answer', () => {
    const trouble = diagnoseKeychainFailure(
      dbusFailure(
        'Did not receive a reply. Possible causes include: the remote application did not send a reply, the message bus security policy blocked the reply, the reply timeout expired, or the network connection was broken.',
      ),
    )
    expect(trouble.reason).toBe('no_answer')
    expect(trouble.summary).toMatch(/did not answer/)
    // The raw libdbus essay stays out of the one-line message.
    expect(trouble.summary).not.toMatch(/Possible causes/)
  })

  it("atoauth's own time limit: no answer within that many seconds", () => {
    const trouble = diagnoseKeychainFailure(new KeyringCallTimeout(3))
    expect(trouble.reason).toBe('no_answer')
    expect(trouble.summary).toMatch(/^no answer within 3 s/)
    expect(trouble.hint).toMatch(/unlock prompt/)
  })

  it('anything else keeps the raw cause, with the general fix', () => {
    const trouble = diagnoseKeychainFailure(
      new Error('Platform failure: something new', { cause: new Error('x') }),
    )
    expect(trouble.reason).toBe('other')
    expect(trouble.summary).toBe('x')
    expect(trouble.hint).toContain('--insecure-storage')
  })
})
