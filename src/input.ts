// Input a person hands to a command: a file, or `-` for stdin. Stdin is read
// only when asked for explicitly, so a script with an open but idle stdin
// never hangs waiting on it.
import { readFile } from 'node:fs/promises'
import { buffer, text } from 'node:stream/consumers'
import { describeCause, UsageError } from './errors.js'

/** Reads `-` (stdin, until it ends) or a file, as bytes. */
export async function readInputBytes(
  source: string,
  stdin: NodeJS.ReadableStream,
  what: string,
): Promise<Buffer> {
  if (source === '-') return buffer(stdin)
  try {
    return await readFile(source)
  } catch (err) {
    throw new UsageError(`Cannot read ${what} from ${source}: ${describeCause(err)}`)
  }
}

/** Reads `-` (stdin) or a file as UTF-8 text. */
export async function readInputText(
  source: string,
  stdin: NodeJS.ReadableStream,
  what: string,
): Promise<string> {
  if (source === '-') return text(stdin)
  return (await readInputBytes(source, stdin, what)).toString('utf8')
}

/** Parses JSON a person supplied, naming where it came from when it is not JSON. */
export function parseJsonInput(input: string, origin: string): unknown {
  try {
    return JSON.parse(input)
  } catch (err) {
    throw new UsageError(`${origin} is not valid JSON: ${describeCause(err)}`)
  }
}
