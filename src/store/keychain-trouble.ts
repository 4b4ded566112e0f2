// Why the OS keychain could not be used: the cause and its fix rather than a raw D-Bus message.
// @napi-rs/keyring reports troubles only as text, so its messages (keychain-trouble.test.ts) are
// what is recognised.

export type KeychainTrouble = {
  /** Stable, for scripts: the `reason` field of the --json error. */
  reason: 'no_dbus' | 'no_secret_service' | 'locked' | 'no_default_keyring' | 'no_answer' | 'other'
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

const INSECURE_STORAGE =
  'or opt into plaintext storage with --insecure-storage (or ATOAUTH_STORE=file)'
const ANSWER_HINT = `Make sure the keyring is running and unlocked (answer its unlock prompt if one is showing), then try again; ${INSECURE_STORAGE}.`
const OTHER_HINT = `Install and unlock a keyring (on Linux: gnome-keyring, or KeePassXC with its Secret Service integration on); ${INSECURE_STORAGE}.`

const RULES: (KeychainTrouble & { matches: RegExp })[] = [
  {
    // libdbus's own reply timeout, from a Secret Service that holds the name but is stuck.
    reason: 'no_answer',
    matches: /Did not receive a reply/i,
    summary: 'the Secret Service did not answer in time (is its daemon hung?)',
    hint: ANSWER_HINT,
  },
  {
    // Address unset (libdbus may not autolaunch) or naming a dead socket: the summary says which.
    reason: 'no_dbus',
    matches: /autolaunch|DBUS_SESSION_BUS_ADDRESS|Failed to connect to socket/i,
    summary: 'no D-Bus session bus to reach the Secret Service through',
    hint: `Run atoauth inside a desktop session, or start a session bus and a keyring (dbus-run-session, then gnome-keyring-daemon --unlock); ${INSECURE_STORAGE}.`,
  },
  {
    // The first is dbus-daemon's wording, the second dbus-broker's.
    reason: 'no_secret_service',
    matches:
      /org\.freedesktop\.secrets was not provided by any \.service files|is not activatable/i,
    summary:
      'no Secret Service on the D-Bus session bus (nothing provides org.freedesktop.secrets)',
    hint: `Install and start a keyring that provides the Secret Service (gnome-keyring, or KeePassXC with its Secret Service integration on); ${INSECURE_STORAGE}.`,
  },
  {
    // With no prompter (a headless machine, SSH) the keyring dismisses the unlock prompt at once.
    reason: 'locked',
    matches: /unlock prompt was dismissed|object locked/i,
    summary: 'the keyring is locked, and the unlock prompt was dismissed or could not be shown',
    hint: `Unlock the keyring (log into your desktop session, or use Seahorse, "Passwords and Keys"), then try again; ${INSECURE_STORAGE}.`,
  },
  {
    // Storing needs the "default" collection: a daemon started without --unlock may have none.
    reason: 'no_default_keyring',
    matches: /Secret Service: no result found/i,
    summary: 'the Secret Service has no default keyring to keep sessions in',
    hint: `Create a default keyring (Seahorse, "Passwords and Keys", or start gnome-keyring-daemon with --unlock, which creates the login keyring); ${INSECURE_STORAGE}.`,
  },
]

/** The trouble behind a failed keychain call. */
export function diagnoseKeychainFailure(err: unknown): KeychainTrouble {
  if (err instanceof KeyringCallTimeout) {
    const summary = `${err.message} (is it waiting for an unlock prompt, or hung?)`
    return { reason: 'no_answer', summary, hint: ANSWER_HINT }
  }
  const messages: string[] = []
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    messages.push(e instanceof Error ? e.message || e.name : String(e))
    e = e instanceof Error ? e.cause : undefined
  }
  const innermost = messages.at(-1) ?? 'unknown error'
  const rule = RULES.find((r) => r.matches.test(messages.join('\n')))
  if (!rule) return { reason: 'other', summary: innermost, hint: OTHER_HINT }
  const { reason, summary, hint } = rule
  if (reason !== 'no_dbus') return { reason, summary, hint }
  const unset = /autolaunch|DBUS_SESSION_BUS_ADDRESS/i.test(innermost)
  const detail = unset ? 'DBUS_SESSION_BUS_ADDRESS is not set' : innermost
  return { reason, summary: `${summary} (${detail})`, hint }
}
