// atoauth api <nsid> [key=value …]: one XRPC call to the account's PDS
// through the OAuth session, which signs it with DPoP and refreshes the
// tokens when due. The scripting primitive, like `gh api`: prints the
// response JSON; a non-2xx answer is an error carrying the XRPC error.
import { Command, Option } from 'commander'
import type { Context } from '../context.js'
import { AtoauthError, ExitCode, UsageError } from '../errors.js'
import type { ResolvedAccount } from '../oauth/account-session.js'
import type { CommandResult } from '../output.js'
import type { Runner } from './runner.js'

export type ApiOptions = {
  nsid: string
  fields: string[]
  method: 'GET' | 'POST' | undefined
  input: string | undefined
  contentType: string | undefined
  proxy: string | undefined
}

export function apiCommand(run: Runner): Command {
  return new Command('api')
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
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  atoauth api com.atproto.repo.listRecords repo=alice.bsky.social collection=app.bsky.feed.post limit:=5\n' +
        '  atoauth api com.atproto.repo.createRecord --input record.json\n' +
        '  atoauth api com.atproto.repo.deleteRecord repo=alice.bsky.social collection=app.bsky.feed.post rkey=3k…',
    )
    .action((nsid: string, fields: string[], flags, command: Command) =>
      run(command, (ctx) =>
        runApi(
          {
            nsid,
            fields,
            method: flags.method,
            input: flags.input,
            contentType: flags.contentType,
            proxy: flags.proxy,
          },
          ctx,
        ),
      ),
    )
}

type Request = {
  method: 'GET' | 'POST'
  path: string
  headers: Record<string, string>
  body?: Uint8Array
}

/** What is read of the answer, from either path. */
type Answer = {
  status: number
  statusText: string
  ok: boolean
  contentType: string | undefined
  bytes: Uint8Array
}

export async function runApi(options: ApiOptions, ctx: Context): Promise<CommandResult> {
  const request = await buildRequest(options, ctx)
  const { resolveAccount } = await import('../oauth/account-session.js')
  const resolved = await resolveAccount(ctx)
  const res = (await warmApi(ctx, resolved, request)) ?? (await fullApi(ctx, resolved, request))
  const { bytes } = res
  if (!res.ok) throw xrpcFailure(options.nsid, res, parseJson(bytes), resolved.account.handle)
  if (bytes.length === 0) return { data: {}, text: [] }
  const contentType = res.contentType ?? 'application/octet-stream'
  const data = /^application\/(.+\+)?json\b/i.test(contentType) ? parseJson(bytes) : undefined
  if (data !== undefined) {
    return { data: data as Record<string, unknown>, text: [JSON.stringify(data, null, 2)] }
  }
  // Bytes (a CAR file, a blob) are the data as they are; --json still gets
  // one JSON document, carrying them in base64.
  if (ctx.out.json) {
    return {
      data: { encoding: contentType, base64: Buffer.from(bytes).toString('base64') },
      text: [],
    }
  }
  return { data: {}, text: [], raw: bytes }
}

/**
 * A valid access token in the keychain: one signed request, without loading
 * the OAuth client (see warm-request.ts). Undefined when the full path must answer.
 */
async function warmApi(
  ctx: Context,
  resolved: ResolvedAccount,
  request: Request,
): Promise<Answer | undefined> {
  const { warmAccountRequest } = await import('../oauth/warm-request.js')
  const warm = await warmAccountRequest(ctx, resolved, request)
  if (!warm) return undefined
  const { response } = warm
  const contentType = response.headers['content-type']
  return { ...response, contentType, bytes: await response.bytes() }
}

/** Through the OAuth client: restores the session, refreshing it when due. */
async function fullApi(ctx: Context, resolved: ResolvedAccount, request: Request): Promise<Answer> {
  const { restoreAccountSession } = await import('../oauth/account-session.js')
  const { session } = await restoreAccountSession(ctx, resolved)
  const res = await session.fetchHandler(request.path, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: ctx.signal,
  })
  return {
    status: res.status,
    statusText: res.statusText,
    ok: res.ok,
    contentType: res.headers.get('content-type') ?? undefined,
    bytes: new Uint8Array(await res.arrayBuffer()),
  }
}

async function buildRequest(options: ApiOptions, ctx: Context): Promise<Request> {
  const [{ isValidNsid }, { knownMethod }, fields, input] = await Promise.all([
    import('@atproto/syntax'),
    import('../xrpc/lexicon-methods.js'),
    import('../xrpc/fields.js'),
    import('../input.js'),
  ])
  if (!isValidNsid(options.nsid)) {
    throw new UsageError(
      `"${options.nsid}" is not an XRPC method name (NSID).`,
      'Example: atoauth api com.atproto.server.describeServer',
    )
  }
  const known = knownMethod(options.nsid)
  const method =
    options.method ??
    (known ? (known.type === 'query' ? 'GET' : 'POST') : options.input ? 'POST' : undefined)
  if (!method) {
    throw new UsageError(
      `atoauth does not know whether ${options.nsid} is a query or a procedure.`,
      'Pass --method GET for a query, or --method POST (or --input) for a procedure.',
    )
  }
  if (method === 'GET' && options.input) {
    throw new UsageError('--input sends a request body, which a GET (query) cannot have.')
  }

  const given = fields.parseFields(options.fields)
  const headers: Record<string, string> = {}
  if (options.proxy) headers['atproto-proxy'] = checkProxy(options.proxy)
  let query = new URLSearchParams()
  let body: Uint8Array | undefined
  if (method === 'GET' || options.input) {
    query = fields.fieldsToQuery(given)
  }
  if (options.input) {
    const encoding = options.contentType ?? (known?.type === 'procedure' ? known.input : undefined)
    const bytes = await input.readInputBytes(options.input, ctx.stdin, 'the request body')
    if (encoding === undefined || /json/i.test(encoding)) {
      const origin = options.input === '-' ? 'The body read from stdin' : options.input
      body = Buffer.from(JSON.stringify(input.parseJsonInput(bytes.toString('utf8'), origin)))
      headers['content-type'] = encoding ?? 'application/json'
    } else {
      body = bytes
      headers['content-type'] = encoding === '*/*' ? 'application/octet-stream' : encoding
    }
  } else if (method === 'POST' && given.length > 0) {
    body = Buffer.from(JSON.stringify(fields.fieldsToBody(given)))
    headers['content-type'] = 'application/json'
  }
  const search = query.size > 0 ? `?${query}` : ''
  return { method, path: `/xrpc/${options.nsid}${search}`, headers, body }
}

function checkProxy(value: string): string {
  if (!/^did:[a-z]+:[^#\s]+#[^#\s]+$/.test(value)) {
    throw new UsageError(
      `--proxy "${value}" is not a service reference.`,
      'Write it as <did>#<service id>, e.g. did:web:api.bsky.chat#bsky_chat',
    )
  }
  return value
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch {
    return undefined
  }
}

/** The XRPC error, as an error with the exit code of the contract: 3 for auth, else 4. */
function xrpcFailure(nsid: string, res: Answer, body: unknown, handle: string): AtoauthError {
  const { error, message } = (body ?? {}) as { error?: unknown; message?: unknown }
  const xrpcError = typeof error === 'string' ? error : res.statusText || 'Error'
  const xrpcMessage = typeof message === 'string' ? message : undefined
  const details = { status: res.status, xrpcError, ...(xrpcMessage ? { xrpcMessage } : {}) }
  const what = `${nsid} failed: ${res.status} ${xrpcError}${xrpcMessage ? `: ${xrpcMessage}` : ''}`
  if (res.status === 401) {
    // The OAuth session already tried a refresh before handing back a 401.
    return new AtoauthError('session_ended', what, {
      hint: `Log in again: atoauth login ${handle}`,
      exitCode: ExitCode.authRequired,
      details,
    })
  }
  return new AtoauthError('xrpc_error', what, { exitCode: ExitCode.network, details })
}
