// Text for a terminal. Much of what atoauth prints comes from servers (handles, scopes, XRPC
// errors); a hostile one could send escape sequences that clear the screen, retitle the window,
// forge a hyperlink (OSC 8) or overwrite a line (\r). JSON.stringify escapes them already.
import { stripVTControlCharacters } from 'node:util'

// Every C0 and C1 control character but the tab and the newline that text needs.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

/** `text` without escape sequences (Node's own parser) and without control characters. */
export function terminalText(text: string): string {
  return stripVTControlCharacters(text).replace(CONTROL, '')
}
