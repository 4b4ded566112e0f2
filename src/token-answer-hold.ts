// When a token answer is on its way. The authorization server spends a refresh token (or an
// authorization code) the moment it answers, with no grace period: a process that leaves before
// storing that answer keeps only the spent token, and the next refresh is a replay, which revokes
// the whole session. So from the moment a token request is sent (library-fetch.ts says so) until
// its answer is stored and the refresh lock released (a "keeping" section, which auth/client.ts
// and auth/login.ts open) atoauth is *holding*: interrupts.ts, told through watchHolds, holds
// signals back meanwhile, and refuses a token request once a signal came.
//
// Sections are counted rather than told apart (no async context, whose module would load at
// every start): a token request sent while any section is open holds until every open section has
// ended, which can only hold a little longer than needed, never less.

/** What a keeping section finishes. */
export type Keeping = 'refresh' | 'sign-in'

/** Told of each hold: before a token request is sent (it may throw to stop it), and its span. */
export type HoldWatcher = {
  beforeSend(): void
  started(): void
  ended(): void
}

let openSections = 0
/** What the open sections finish, once a token request was sent inside them. */
let sectionsHolding: Keeping | undefined
/** Token requests sent outside any section, their answers not yet read. */
let bareHolds = 0
let lastOpened: Keeping = 'refresh'
let watcher: HoldWatcher | undefined

/**
 * Runs `work`; if a token request is sent while it runs, the hold lasts until it ends, so the
 * answer is stored (and any lock taken inside released) before a held signal takes effect.
 */
export async function keepingTokenAnswer<T>(
  keeping: Keeping,
  work: () => T | PromiseLike<T>,
): Promise<T> {
  openSections++
  lastOpened = keeping
  try {
    return await work()
  } finally {
    openSections--
    if (openSections === 0 && sectionsHolding) {
      sectionsHolding = undefined
      if (!isHolding()) watcher?.ended()
    }
  }
}

/**
 * Says that a token request is about to be sent. Inside a section, the hold lasts until the
 * sections end; outside one, the returned function ends it (call it once the answer is read).
 * Throws what the watcher throws (a signal came): the request is then not sent.
 */
export function tokenRequestSent(): () => void {
  watcher?.beforeSend()
  const wasHolding = isHolding()
  let release = () => {}
  if (openSections > 0) {
    sectionsHolding ??= lastOpened
  } else {
    bareHolds++
    let done = false
    release = () => {
      if (done) return
      done = true
      bareHolds--
      if (!isHolding()) watcher?.ended()
    }
  }
  if (!wasHolding) watcher?.started()
  return release
}

/** Whether a token answer is on its way (a signal would be held back now). */
export function isHolding(): boolean {
  return sectionsHolding !== undefined || bareHolds > 0
}

/** What the hold under way finishes (a bare token request's answer counts as a refresh). */
export function holdKeeping(): Keeping {
  return sectionsHolding ?? 'refresh'
}

/** Sets the one watcher (interrupts.ts's handler); returns how to unset it. */
export function watchHolds(next: HoldWatcher): () => void {
  watcher = next
  return () => {
    if (watcher === next) watcher = undefined
  }
}

/** For tests: forget every section and hold. */
export function resetHoldsForTest(): void {
  openSections = 0
  sectionsHolding = undefined
  bareHolds = 0
  lastOpened = 'refresh'
  watcher = undefined
}
