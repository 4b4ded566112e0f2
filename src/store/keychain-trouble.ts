// Why the OS keychain could not be used: the cause and its fix rather than a raw platform message.
// @napi-rs/keyring reports troubles only as text, so its messages (keychain-trouble.test.ts) are
// what is recognised. Each platform has its own causes and fixes: a Mac or Windows user is never
// told to install gnome-keyring.

export type KeychainReason =
  // The Secret Service (Linux, BSD)
  | 'no_dbus'
  | 'no_secret_service'
  | 'locked'
  | 'no_default_keyring'
  // The macOS Keychain
  | 'macos_no_interaction'
  | 'macos_locked'
  | 'macos_no_keychain'
  // The Windows Credential Manager
  | 'windows_no_logon_session'
  // Anywhere
  | 'value_too_large'
  | 'no_answer'
  | 'other'

export type KeychainTrouble = {
  /** Stable, for scripts: the `reason` field of the --json error. */
  reason: KeychainReason
  /** What went wrong, to follow "Cannot use <the keychain>: ". */
  summary: string
  hint: string
}

/** A keychain call that got no answer within atoauth's own time limit. */
export class KeyringCallTimeout extends Error {
  constructor(seconds: number) {
    super(`no answer within ${seconds} s`)
    this.name = 'KeyringCallTimeout'
  }
}

type Family = 'secret-service' | 'macos' | 'windows'

const familyOf = (platform: NodeJS.Platform): Family =>
  platform === 'darwin' ? 'macos' : platform === 'win32' ? 'windows' : 'secret-service'

const INSECURE_STORAGE =
  'or opt into plaintext storage with --insecure-storage (or ATOAUTH_STORE=file)'
const UNLOCK_MAC = 'security unlock-keychain ~/Library/Keychains/login.keychain-db'

/** A macOS status code as the library prints it ("error code -25308"), not inside other digits. */
const osStatus = (code: number) => new RegExp(`(?<![\\w-])${code}(?!\\d)`)

/** When nothing more precise is known: the platform's general fix. */
const FALLBACK: Record<Family, { other: string; noAnswer: string }> = {
  'secret-service': {
    other: `Install and unlock a keyring (on Linux: gnome-keyring, or KeePassXC with its Secret Service integration on); ${INSECURE_STORAGE}.`,
    noAnswer: `Make sure the keyring is running and unlocked (answer its unlock prompt if one is showing), then try again; ${INSECURE_STORAGE}.`,
  },
  macos: {
    other: `Make sure your login keychain is unlocked (Keychain Access, or ${UNLOCK_MAC}), then try again; ${INSECURE_STORAGE}.`,
    noAnswer: `The keychain may be waiting for its password or for "Allow" in a dialog on the Mac's screen: answer it (or run ${UNLOCK_MAC} first), then try again; ${INSECURE_STORAGE}.`,
  },
  windows: {
    other: `Make sure you are signed in to Windows with a user profile whose Credential Manager works (Control Panel, "Credential Manager"), then try again; ${INSECURE_STORAGE}.`,
    noAnswer: `The Credential Manager did not answer in time; try again, ${INSECURE_STORAGE}.`,
  },
}

type Rule = KeychainTrouble & { on: Family | 'any'; matches: RegExp }

const RULES: Rule[] = [
  {
    // libdbus's own reply timeout, from a Secret Service that holds the name but is stuck.
    on: 'secret-service',
    reason: 'no_answer',
    matches: /Did not receive a reply/i,
    summary: 'the Secret Service did not answer in time (is its daemon hung?)',
    hint: FALLBACK['secret-service'].noAnswer,
  },
  {
    // Address unset (libdbus may not autolaunch) or naming a dead socket: the summary says which.
    on: 'secret-service',
    reason: 'no_dbus',
    matches: /autolaunch|DBUS_SESSION_BUS_ADDRESS|Failed to connect to socket/i,
    summary: 'no D-Bus session bus to reach the Secret Service through',
    hint: `Run atoauth inside a desktop session, or start a session bus and a keyring (dbus-run-session, then gnome-keyring-daemon --unlock); ${INSECURE_STORAGE}.`,
  },
  {
    // The first is dbus-daemon's wording, the second dbus-broker's.
    on: 'secret-service',
    reason: 'no_secret_service',
    matches:
      /org\.freedesktop\.secrets was not provided by any \.service files|is not activatable/i,
    summary:
      'no Secret Service on the D-Bus session bus (nothing provides org.freedesktop.secrets)',
    hint: `Install and start a keyring that provides the Secret Service (gnome-keyring, or KeePassXC with its Secret Service integration on); ${INSECURE_STORAGE}.`,
  },
  {
    // With no prompter (a headless machine, SSH) the keyring dismisses the unlock prompt at once.
    on: 'secret-service',
    reason: 'locked',
    matches: /unlock prompt was dismissed|object locked/i,
    summary: 'the keyring is locked, and the unlock prompt was dismissed or could not be shown',
    hint: `Unlock the keyring (log into your desktop session, or use Seahorse, "Passwords and Keys"), then try again; ${INSECURE_STORAGE}.`,
  },
  {
    // Storing needs the "default" collection: a daemon started without --unlock may have none.
    on: 'secret-service',
    reason: 'no_default_keyring',
    matches: /Secret Service: no result found/i,
    summary: 'the Secret Service has no default keyring to keep sessions in',
    hint: `Create a default keyring (Seahorse, "Passwords and Keys", or start gnome-keyring-daemon with --unlock, which creates the login keyring); ${INSECURE_STORAGE}.`,
  },
  {
    // errSecInteractionNotAllowed: the keychain is locked, or asks to allow node to read the item
    // (after a Node upgrade, say), and there is no GUI session to ask in: SSH, launchd, CI.
    on: 'macos',
    reason: 'macos_no_interaction',
    matches: new RegExp(`User interaction is not allowed|${osStatus(-25308).source}`, 'i'),
    summary:
      'the keychain needs a person to unlock it or allow access, and cannot ask here (no GUI session: SSH, a background job)',
    hint: `Unlock it for this session with ${UNLOCK_MAC}, or run atoauth once in the Mac's desktop session and answer the dialog ("Always Allow"); ${INSECURE_STORAGE}.`,
  },
  {
    // errSecAuthFailed (a wrong password, or a login keychain whose password is no longer the
    // account's), errSecUserCanceled (the dialog was cancelled or denied).
    on: 'macos',
    reason: 'macos_locked',
    matches: new RegExp(
      `passphrase you entered is not correct|User cancel+ed|${osStatus(-25293).source}|${osStatus(-128).source}`,
      'i',
    ),
    summary: 'the keychain stayed locked: its password was refused or its dialog was cancelled',
    hint: `Unlock it with its password (${UNLOCK_MAC}); if your login password no longer opens it, reset its password in Keychain Access; ${INSECURE_STORAGE}.`,
  },
  {
    // errSecNotAvailable, errSecNoSuchKeychain, errSecNoDefaultKeychain.
    on: 'macos',
    reason: 'macos_no_keychain',
    matches: new RegExp(
      `No keychain is available|keychain could not be found|${[-25291, -25294, -25307].map((c) => osStatus(c).source).join('|')}`,
      'i',
    ),
    summary: 'there is no default keychain to keep sessions in',
    hint: `Check which keychain is the default (security default-keychain) and make one the default (security default-keychain -s login.keychain-db, or Keychain Access); ${INSECURE_STORAGE}.`,
  },
  {
    // ERROR_NO_SUCH_LOGON_SESSION (1312): credentials are kept per logon session, and an SSH login
    // with a key, a scheduled task "run whether the user is logged on or not" or a service has none.
    on: 'windows',
    reason: 'windows_no_logon_session',
    matches: /ERROR_NO_SUCH_LOGON_SESSION|logon session does not exist|(?<![\w-])1312(?!\d)/i,
    summary:
      'this Windows session has no Credential Manager (no interactive logon: an SSH login with a key, a scheduled task, a service)',
    hint: `Run atoauth in a session where you signed in with your password (the desktop, SSH with a password, a task that runs only when you are logged on); ${INSECURE_STORAGE}.`,
  },
  {
    // atoauth splits values to fit an entry (keychain-secret-store.ts): this would be a bug.
    on: 'any',
    reason: 'value_too_large',
    matches: /is longer than the platform limit/i,
    summary: 'the session is larger than one entry can hold',
    hint: `This is a bug in atoauth: please report it; meanwhile ${INSECURE_STORAGE}.`,
  },
]

/** "No such entry" as an error (the library says null instead, mostly): nothing is stored. */
export function isMissingEntry(err: unknown): boolean {
  return /No matching (entry|credential) found|could not be found in the keychain|ERROR_NOT_FOUND|Element not found|(?<![\w-])-25300(?!\d)/i.test(
    messagesOf(err).join('\n'),
  )
}

/** The trouble behind a failed keychain call, in the words of the platform it happened on. */
export function diagnoseKeychainFailure(
  err: unknown,
  platform: NodeJS.Platform = process.platform,
): KeychainTrouble {
  const family = familyOf(platform)
  if (err instanceof KeyringCallTimeout) {
    const summary = `${err.message} (is it waiting for an unlock prompt, or hung?)`
    return { reason: 'no_answer', summary, hint: FALLBACK[family].noAnswer }
  }
  const messages = messagesOf(err)
  const innermost = messages.at(-1) ?? 'unknown error'
  const text = messages.join('\n')
  const rule = RULES.find((r) => (r.on === family || r.on === 'any') && r.matches.test(text))
  if (!rule) return { reason: 'other', summary: innermost, hint: FALLBACK[family].other }
  const { reason, summary, hint } = rule
  if (reason !== 'no_dbus') return { reason, summary, hint }
  const unset = /autolaunch|DBUS_SESSION_BUS_ADDRESS/i.test(innermost)
  const detail = unset ? 'DBUS_SESSION_BUS_ADDRESS is not set' : innermost
  return { reason, summary: `${summary} (${detail})`, hint }
}

/** The messages of an error and of its causes, outermost first. */
function messagesOf(err: unknown): string[] {
  const messages: string[] = []
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    messages.push(e instanceof Error ? e.message || e.name : String(e))
    e = e instanceof Error ? e.cause : undefined
  }
  return messages
}
