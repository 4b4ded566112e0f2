// What the authorization server sends back to the loopback listener, checked
// before the OAuth client sees it, so that every broken or forged callback
// gets its own clear message (the same in the browser and in the terminal).
// The listener has matched the state; the OAuth client checks it again.
import { AtoauthError } from '../errors.js'
import { terminalText } from '../terminal-text.js'

/** Parameters an authorization response may carry at most once. */
const SINGLE_VALUED = ['state', 'code', 'iss', 'error', 'error_description', 'error_uri']

/**
 * Why the callback of this login (its state checked by the listener) cannot
 * complete it, or undefined when it may: it carries a `code`.
 */
export function callbackProblem(params: URLSearchParams): AtoauthError | undefined {
  const repeated = SINGLE_VALUED.find((name) => params.getAll(name).length > 1)
  if (repeated) {
    return failure(
      'callback_malformed',
      `The callback carried "${repeated}" more than once, so it cannot be trusted.`,
    )
  }
  if (params.has('response')) {
    return failure(
      'callback_malformed',
      'The callback used JARM ("response"), which atoauth does not request.',
    )
  }
  const error = params.get('error')
  if (error !== null) {
    const description = printable(params.get('error_description'))
    if (error === 'access_denied') {
      return failure(
        'access_denied',
        `The authorization was denied in the browser${description ? ` (${description})` : ''}.`,
        'Run atoauth login again and choose to authorize atoauth.',
      )
    }
    return failure(
      'authorization_failed',
      `The authorization server answered "${printable(error)}"${description ? `: ${description}` : ''}.`,
    )
  }
  if (!params.get('code')) {
    return failure(
      'code_missing',
      'The callback had no authorization code.',
      'Run atoauth login again; if it keeps happening, the authorization server is misbehaving.',
    )
  }
  return undefined
}

function failure(code: string, message: string, hint = 'Run atoauth login again.'): AtoauthError {
  return new AtoauthError(code, message, { hint })
}

/** The server's words on one short line, without escape sequences (they reach a terminal). */
function printable(text: string | null): string {
  const line = terminalText(text ?? '')
    .replace(/\s+/g, ' ')
    .trim()
  return line.length > 300 ? `${line.slice(0, 300)}…` : line
}
