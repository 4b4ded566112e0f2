// Why the OS keychain could not be used, so that the person gets the cause and
// the fix that goes with it rather than a raw D-Bus message. @napi-rs/keyring
// (keyring-rs over dbus-secret-service and libdbus) reports these troubles
// only as text, so the text is what we recognise: the patterns below are the
// messages it gives in each situation (see test/unit/keychain-trouble.test.ts).

export type KeychainTroubleReason =
  | 'no_dbus'
  | 'no_secret_service'
  | 'locked'
  | 'no_default_keyring'
  | 'no_answer'
  | 'other'

export type KeychainTrouble = {
  /** Stable, for scripts: the `reason` field of the --json error. */
  reason: KeychainTroubleReason
  /** What went wrong, to follow "Cannot use <the keychain>: ". */
  summary: string
  /** What to do about it. */
  hint: string
}

const INSECURE_STORAGE =
  'or opt into plaintext storage with --insecure-storage (or ATOAUTH_STORE=file)'

type Rule = {
  reason: Exclude<KeychainTroubleReason, 'other' | 'no_answer'>
  matches: RegExp
  summary: (detail: string) => string
  hint: string
}

const RULES: Rule[] = [
  {
    // No session bus at all: the address is unset (libdbus may not autolaunch
    // one), or points at a socket nobody listens on.
    reason: 'no_dbus',
    matches: /autolaunch|DBUS_SESSION_BUS_ADDRESS|Failed to connect to socket/i,
    summary: (detail) =>
      `no D-Bus session bus to reach the Secret Service through (${
        /autolaunch|DBUS_SESSION_BUS_ADDRESS/i.test(detail)
          ? 'DBUS_SESSION_BUS_ADDRESS is not set'
          : detail
      })`,
    hint: `Run atoauth inside a desktop session, or start a session bus and a keyring (dbus-run-session, then gnome-keyring-daemon --unlock); ${INSECURE_STORAGE}.`,
  },
  {
    // dbus-daemon says "was not provided by any .service files", dbus-broker
    // "The name is not activatable".
    reason: 'no_secret_service',
    matches:
      /org\.freedesktop\.secrets was not provided by any \.service files|is not activatable/i,
    summary: () =>
      'no Secret Service on the D-Bus session bus (nothing provides org.freedesktop.secrets)',
    hint: `Install and start a keyring that provides the Secret Service (gnome-keyring, or KeePassXC with its Secret Service integration on); ${INSECURE_STORAGE}.`,
  },
  {
    // A locked collection needs an unlock prompt; with no prompter (a headless
    // machine, an SSH session) the keyring dismisses it at once.
    reason: 'locked',
    matches: /unlock prompt was dismissed|object locked/i,
    summary: () =>
      'the keyring is locked, and the unlock prompt was dismissed or could not be shown',
    hint: `Unlock the keyring (log into your desktop session, or use Seahorse, "Passwords and Keys"), then try again; ${INSECURE_STORAGE}.`,
  },
  {
    // Storing needs the "default" collection; a keyring daemon started without
    // --unlock on a machine that never had a login keyring has none.
    reason: 'no_default_keyring',
    matches: /Secret Service: no result found/i,
    summary: () => 'the Secret Service has no default keyring to keep sessions in',
    hint: `Create a default keyring (Seahorse, "Passwords and Keys", or start gnome-keyring-daemon with --unlock, which creates the login keyring); ${INSECURE_STORAGE}.`,
  },
]

/**
 * The trouble behind a failed keychain call. `timeoutSeconds` is atoauth's
 * own bound on every call, reported when that bound (rather than D-Bus's own
 * reply timeout) is what ended the call.
 */
export function diagnoseKeychainFailure(
  err: unknown,
  options: { timedOut: boolean; timeoutSeconds: number },
): KeychainTrouble {
  const answerHint = `Make sure the keyring is running and unlocked (answer its unlock prompt if one is showing), then try again; ${INSECURE_STORAGE}.`
  if (options.timedOut) {
    return {
      reason: 'no_answer',
      summary: `no answer within ${options.timeoutSeconds} s (is it waiting for an unlock prompt, or hung?)`,
      hint: answerHint,
    }
  }
  const messages = messageChain(err)
  const text = messages.join('\n')
  // libdbus: "Did not receive a reply. Possible causes include: ..." after its
  // own reply timeout, from a Secret Service that holds the name but is stuck.
  if (/Did not receive a reply/i.test(text)) {
    return {
      reason: 'no_answer',
      summary: 'the Secret Service did not answer in time (is its daemon hung?)',
      hint: answerHint,
    }
  }
  const innermost = messages.at(-1) ?? 'unknown error'
  const rule = RULES.find((r) => r.matches.test(text))
  if (rule) return { reason: rule.reason, summary: rule.summary(innermost), hint: rule.hint }
  return {
    reason: 'other',
    summary: innermost,
    hint: `Install and unlock a keyring (on Linux: gnome-keyring, or KeePassXC with its Secret Service integration on); ${INSECURE_STORAGE}.`,
  }
}

/** An error's message and those of its causes, outermost first. */
export function messageChain(err: unknown): string[] {
  const messages: string[] = []
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if (!(e instanceof Error)) {
      messages.push(String(e))
      break
    }
    messages.push(e.message || e.name)
    e = e.cause
  }
  return messages
}
