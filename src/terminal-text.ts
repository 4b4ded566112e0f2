// Text for a terminal. Much of what atoauth prints comes from servers (handles, scopes, XRPC
// errors); a hostile one could send escape sequences that clear the screen, retitle the window,
// forge a hyperlink (OSC 8) or overwrite a line (\r), bidi controls that show a line's words in
// another order (U+202E: "error: …" reads as something else), or line breaks that make its words
// look like atoauth's own next line. JSON.stringify escapes C0 control characters but not C1
// ones (U+009B is a CSI to some terminals), format characters or U+2028/2029: jsonText does.
import { stripVTControlCharacters } from 'node:util'

// Every C0 and C1 control character but the tab and the newline that text needs.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

// Unicode's format characters (Cf): bidi embeddings, overrides, isolates and marks, zero-width
// spaces, the BOM, invisible tags (which can carry hidden ASCII). They move or hide text and show
// nothing themselves. Kept: ZWNJ and ZWJ (U+200C, U+200D), which only choose how neighbouring
// letters join: Persian and Indic spelling needs them, and so do emoji (👩‍💻).
const FORMAT = /(?![\u200c\u200d])\p{Cf}/gu

// Whatever a terminal or a person may take for the end of a line, CR LF counted once.
const LINE_BREAK = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/g

/** `text` without escape sequences (Node's own parser), control or format characters. */
export function terminalText(text: string): string {
  return stripVTControlCharacters(text).replace(CONTROL, '').replace(FORMAT, '')
}

// What JSON.stringify leaves raw that a terminal may act on: C1 controls, format characters but
// ZWJ and ZWNJ, and the line and paragraph separators.
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029]|(?![\u200c\u200d])\p{Cf}/gu

/**
 * `value` as pretty JSON with those characters written as \u escapes: the same document for a
 * parser, nothing a terminal acts on when --json output is shown there.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    RAW_IN_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/** terminalText on one line: each line break a space (an error's message, a hint, a warning). */
export function terminalLine(text: string): string {
  return terminalText(text.replace(LINE_BREAK, ' '))
}
