// The command lines atoauth suggests (in hints, warnings, doctor's advice) are meant to be pasted
// into a shell. A value in them that atoauth did not write itself (a handle a server reported, a
// scope named by a server's 403, a URL or path someone gave) may carry shell syntax: a hostile
// PDS's scope `repo:x' ; touch ~/pwned ; '` would run at the paste. So each such value goes in as
// one POSIX shell word, quoted only when it needs it (alice.bsky.social stays bare), and a value
// that is not what it claims to be (a "handle" that is no handle) is left out: the line shows its
// placeholder, for the person to fill in.
//
// Loaded with errors.ts at every start, so the handle and DID checks are the atproto specs' own
// regular expressions (atproto.com/specs/handle, /specs/did) rather than @atproto/syntax: its
// bundled chunk (25 kB with its date validator) would add about 2 ms to every command, --help
// and a warm whoami included. A unit test holds them to @atproto/syntax's verdicts. The scope
// check, which needs the scope library, is the caller's (scope-check.ts).

/** atproto.com/specs/handle: dot-separated DNS labels, the last starting with a letter; ≤ 253. */
const HANDLE =
  /^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/
/** atproto.com/specs/did: did:<lower-case method>:<identifier>, at most 2 KB. */
const DID = /^did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]$/

/** A value whose word is settled (checked, or its placeholder): it goes into the line as it is. */
export class CommandWord {
  readonly word: string
  constructor(word: string) {
    this.word = word
  }
}

/** Characters no POSIX shell (nor zsh) gives a meaning to; `=` not first (zsh expands `=cmd`). */
const PLAIN_WORD = /^[\w@%+:,./-][\w@%+=:,./-]*$/

/** `value` as one POSIX shell word: as it is when plain, else in single quotes (' as '\''). */
export function shellWord(value: string): string {
  return PLAIN_WORD.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`
}

/** `value` as one shell word when `valid`, else only `placeholder` (`<scope>`). */
export function wordOr(placeholder: string, value: string, valid: boolean): CommandWord {
  return new CommandWord(valid ? shellWord(value) : placeholder)
}

/** A handle or a DID, or `placeholder` when it is neither (shell syntax is neither). */
export function accountWord(handleOrDid: string, placeholder = '<handle>'): CommandWord {
  const valid = handleOrDid.startsWith('did:')
    ? handleOrDid.length <= 2048 && DID.test(handleOrDid)
    : handleOrDid.length <= 253 && HANDLE.test(handleOrDid)
  return wordOr(placeholder, handleOrDid, valid)
}

/**
 * A suggested command line (and the words around it): the template's text is atoauth's own, each
 * value in it becomes one shell word — a string (or number) quoted as needed, a CommandWord as settled.
 *
 *     suggestCommand`Log in again: atoauth login ${accountWord(handle)}`
 */
export function suggestCommand(
  text: TemplateStringsArray,
  ...values: ReadonlyArray<string | number | CommandWord>
): string {
  return text.reduce((line, part, i) => {
    const value = values[i - 1] as string | number | CommandWord
    return `${line}${value instanceof CommandWord ? value.word : shellWord(String(value))}${part}`
  })
}
