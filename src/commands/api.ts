// atoauth api <nsid> [key=value …]: one XRPC call to the account's PDS
// through the OAuth session, which signs it with DPoP and refreshes the
// tokens when due. The scripting primitive, like `gh api`: prints the
// response JSON; a non-2xx answer is an error carrying the XRPC error.
// Other answers are bytes: written as they are to a pipe or --output, but
// never to a terminal, where a server's bytes could drive it (escape
// sequences, OSC 52 clipboard writes): there text is shown without its
// control characters and anything else is refused, as curl does.
import { readFile } from 'node:fs/promises'
import { buffer } from 'node:stream/consumers'
import { Command, Option } from 'commander'
import type { XrpcRequest } from '../auth/session.js'
import type { Context } from '../context.js'
import { AtoauthError, describeCause, ExitCode, UsageError } from '../errors.js'
import type { CommandResult } from '../output.js'
import { withExamples } from './help.js'
import type { Runner } from './runner.js'

export type ApiOptions = {
  nsid: string
  fields: string[]
  method: 'GET' | 'POST' | undefined
  input: string | undefined
  contentType: string | undefined
  proxy: string | undefined
  /** A file for the answer's bytes, or - for stdout whatever it is. */
  output?: string | undefined
}

export function apiCommand(run: Runner): Command {
  const api = new Command('api')
    .description('call an XRPC method on the PDS with the session (prints the response JSON)')
    .argument('<nsid>', 'the method, e.g. com.atproto.repo.listRecords')
    .argument(
      '[fields...]',
      'parameters: key=value (string) or key:=json; query parameters for a GET, the JSON body for a POST',
    )
    .addOption(
      new Option(
        '-X, --method <method>',
        'GET (query) or POST (procedure); needed for methods atoauth does not know',
      )
        .choices(['GET', 'POST', 'get', 'post'])
        .argParser((value) => value.toUpperCase()),
    )
    .option(
      '--input <file>',
      'request body from a file, or - for stdin (then key=value fields become query parameters)',
    )
    .option('--content-type <type>', 'content type of a non-JSON --input (e.g. image/png)')
    .option(
      '--proxy <did#service>',
      'ask the PDS to forward the call to this service (atproto-proxy header)',
    )
    .option(
      '-o, --output <file>',
      "write the answer's bytes as they are to a file (- for stdout, even a terminal)",
    )
  return withExamples(api, [
    "atoauth api com.atproto.repo.listRecords repo=alice.bsky.social collection=app.bsky.feed.post limit:=5 | jq -r '.records[].value.text'",
    'atoauth api com.atproto.repo.createRecord --input record.json',
    'atoauth api com.atproto.repo.deleteRecord repo=alice.bsky.social collection=app.bsky.feed.post rkey=3lbxbq5ttlc2d',
    'atoauth api com.atproto.sync.getBlob did=did:plc:abc123 cid=bafkrei… -o picture.jpg',
  ]).action((nsid: string, fields: string[], flags, command: Command) =>
    run(command, (ctx) => runApi({ nsid, fields, ...flags }, ctx)),
  )
}

export async function runApi(options: ApiOptions, ctx: Context): Promise<CommandResult> {
  const { output } = options
  if (output === '-' && ctx.out.json) {
    throw new UsageError('--output - and --json both want stdout.', 'Leave out one of them.')
  }
  // Checked before the request: a procedure's answer is not lost to a typo in the path.
  const saving = output === undefined || output === '-' ? undefined : await answerFile(output)
  const request = await buildRequest(options, ctx)
  const resolved = await ctx.accounts.resolve()
  const answer = await (await ctx.xrpc(resolved))(request)
  const { jsonOf, xrpcFailure } = await import('../auth/session.js')
  if (!answer.ok) throw xrpcFailure(options.nsid, answer)
  const { bytes } = answer
  const contentType = answer.contentType ?? 'application/octet-stream'
  if (saving) {
    await saving.save(bytes)
    const data = { output: saving.path, contentType, size: bytes.length }
    return { data, text: [`Wrote ${bytes.length} bytes (${contentType}) to ${saving.path}`] }
  }
  if (bytes.length === 0) return { data: {}, text: [] }
  if (output === '-') return { data: {}, text: [], raw: bytes }
  const data = /^application\/(.+\+)?json\b/i.test(contentType) ? jsonOf(bytes) : undefined
  if (data !== undefined) {
    return { data: data as Record<string, unknown>, text: [JSON.stringify(data, null, 2)] }
  }
  // Bytes (a CAR file, a blob) are the data as they are; --json still gets
  // one JSON document, carrying them in base64.
  if (ctx.out.json) {
    const base64 = Buffer.from(bytes).toString('base64')
    return { data: { encoding: contentType, base64 }, text: [] }
  }
  if (!ctx.out.stdoutIsTerminal) return { data: {}, text: [], raw: bytes }
  // Output shows text lines without control characters or escape sequences.
  if (isText(contentType)) return { data: {}, text: [answerText(bytes)] }
  throw binaryToTerminal(options.nsid, contentType, bytes.length)
}

/** Types a terminal can show once their control characters are gone: text, JSON, XML. */
function isText(contentType: string): boolean {
  return /^(text\/|application\/([\w.-]+\+)?(json|xml)\b)/i.test(contentType)
}

/** The answer as text, without the line break that ends it (Output ends the line). */
function answerText(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}

/**
 * Exit 2, as a usage error: the call was made, but only the command line can fix this (a pipe
 * or --output), and a script, whose stdout is no terminal, never meets it.
 */
function binaryToTerminal(nsid: string, contentType: string, size: number): AtoauthError {
  const answered = `${nsid} answered ${size} bytes of ${contentType}`
  return new AtoauthError(
    'binary_to_terminal',
    `${answered}, which are not written to a terminal: a server's bytes could drive it.`,
    {
      hint: 'Write them to a file with --output <file>, or pipe them (| xxd, > file); --output - writes them here anyway.',
      exitCode: ExitCode.usage,
      details: { contentType, size },
    },
  )
}

async function answerFile(output: string) {
  const { AnswerFile } = await import('../xrpc/answer-file.js')
  return AnswerFile.check(output)
}

async function buildRequest(options: ApiOptions, ctx: Context): Promise<XrpcRequest> {
  const [{ isValidNsid }, { knownMethod }, fields] = await Promise.all([
    import('@atproto/syntax'),
    import('../xrpc/lexicon-methods.js'),
    import('../xrpc/fields.js'),
  ])
  const { nsid, input, proxy } = options
  if (!isValidNsid(nsid)) {
    throw new UsageError(
      `"${nsid}" is not an XRPC method name (NSID).`,
      'Example: atoauth api com.atproto.server.describeServer',
    )
  }
  const known = knownMethod(nsid)
  const method =
    options.method ??
    (known ? (known.type === 'query' ? 'GET' : 'POST') : input ? 'POST' : undefined)
  if (!method) {
    throw new UsageError(
      `atoauth does not know whether ${nsid} is a query or a procedure.`,
      'Pass --method GET for a query, or --method POST (or --input) for a procedure.',
    )
  }
  if (method === 'GET' && input) {
    throw new UsageError('--input sends a request body, which a GET (query) cannot have.')
  }
  if (proxy && !/^did:[a-z]+:[^#\s]+#[^#\s]+$/.test(proxy)) {
    throw new UsageError(
      `--proxy "${proxy}" is not a service reference.`,
      'Write it as <did>#<service id>, e.g. did:web:api.bsky.chat#bsky_chat',
    )
  }

  const given = fields.parseFields(options.fields)
  const headers: Record<string, string> = proxy ? { 'atproto-proxy': proxy } : {}
  const query = method === 'GET' || input ? fields.fieldsToQuery(given).toString() : ''
  let body: Uint8Array | undefined
  if (input) {
    body = await readInput(input, ctx.stdin)
    const encoding = options.contentType ?? (known?.type === 'procedure' ? known.input : undefined)
    if (encoding === undefined || /json/i.test(encoding)) {
      try {
        JSON.parse(Buffer.from(body).toString('utf8'))
      } catch (err) {
        const origin = input === '-' ? 'The body read from stdin' : input
        throw new UsageError(`${origin} is not valid JSON: ${describeCause(err)}`)
      }
    }
    headers['content-type'] =
      encoding === '*/*' ? 'application/octet-stream' : (encoding ?? 'application/json')
  } else if (method === 'POST' && given.length > 0) {
    body = Buffer.from(JSON.stringify(fields.fieldsToBody(given)))
    headers['content-type'] = 'application/json'
  }
  return { method, path: `/xrpc/${nsid}${query && `?${query}`}`, headers, body }
}

/** `-` is stdin, read only when asked for: an open but idle stdin never blocks a script. */
async function readInput(source: string, stdin: NodeJS.ReadableStream): Promise<Uint8Array> {
  if (source === '-') return buffer(stdin)
  return readFile(source).catch((err: unknown) => {
    throw new UsageError(`Cannot read the request body from ${source}: ${describeCause(err)}`)
  })
}
