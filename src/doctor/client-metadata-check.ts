// Will an authorization server accept atoauth's client_id? Fetches its metadata document the way
// the reference server does (no redirect, status 200, application/json, at most 512 kB, 10 s),
// validates it, and compares it with what `atoauth client-metadata` generates for that URL.
import { DEFAULT_SCOPE, isLoopbackClientId } from '../auth/client-id.js'
import * as metadata from '../auth/client-metadata.js'
import { expandPresets, PRESET_NAMES, SCOPE_PRESETS, scopeTokens } from '../auth/scope-presets.js'
import { suggestCommand } from '../errors/suggested-command.js'
import { describeCause } from '../errors.js'
import { type Check, fail, hintOf, ok, warn } from './check.js'
import { type HttpProbe, httpGet } from './http-probe.js'

const NAME = 'client-metadata'

/** The document's fetch, or the verdict when there is nothing to fetch. */
export async function fetchClientMetadata(
  clientId: string,
  signal: AbortSignal,
): Promise<HttpProbe | Check> {
  if (isLoopbackClientId(clientId)) {
    return ok(NAME, `${clientId} is the development client id: no document`)
  }
  try {
    metadata.assertDiscoverableClientId(clientId)
  } catch (err) {
    return fail(NAME, describeCause(err), hintOf(err))
  }
  return httpGet(clientId, signal)
}

/** `requested`: what `doctor --scope` names, preset names and raw scopes, which must be declared too. */
export async function clientMetadataCheck(
  clientId: string,
  fetched: HttpProbe | Check,
  requested: readonly string[] = [],
): Promise<Check> {
  if ('status' in fetched) return fetched
  const { answer } = fetched
  const publish = suggestCommand`Publish the output of: atoauth client-metadata --client-id ${clientId}`
  if (!answer) {
    const hint =
      'Check your network connection, and that the document is published at that URL (client-metadata/README.md: "Publishing your own").'
    return fail(NAME, `cannot fetch ${clientId}: ${describeCause(fetched.error)}`, hint)
  }
  const { status, headers, body } = answer
  if (status !== 200) {
    const to = headers.get('location')
    const redirect = to ? `, a redirect to ${to}, which authorization servers do not follow` : ''
    return fail(NAME, `${clientId} answered HTTP ${status}${redirect}`, publish)
  }
  const contentType = headers.get('content-type') ?? 'no content type'
  if (contentType.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
    const detail = `${clientId} is served as "${contentType}"; authorization servers require application/json`
    const hint = 'Configure the web server to send content-type: application/json for it.'
    return fail(NAME, detail, hint)
  }
  // The most an authorization server reads of a client metadata document.
  if (Buffer.byteLength(body) > 512 * 1024) {
    return fail(NAME, `${clientId} is larger than 512 kB`, publish)
  }
  let document: Record<string, unknown>
  try {
    document = JSON.parse(body)
  } catch {
    return fail(NAME, `${clientId} is not JSON`, publish)
  }
  const problems = metadata.validateHostedClientMetadata(clientId, document, DEFAULT_SCOPE)
  if (problems.length > 0) {
    return fail(NAME, `${clientId} does not work for atoauth: ${problems.join('; ')}`, publish)
  }
  const differences = differencesFrom(metadata.hostedClientMetadata(clientId), document, requested)
  if (differences.length === 0) {
    return ok(NAME, `${clientId} is valid and matches what atoauth generates`)
  }
  const detail = `${clientId} works, but differs from what atoauth generates`
  return warn(NAME, `${detail}: ${differences.join('; ')}`, publish)
}

/** How a valid document differs from the generated one: e.g. scopes `login --scope` may ask for. */
function differencesFrom(
  generated: object,
  document: Record<string, unknown>,
  requested: readonly string[],
): string[] {
  // Names and links are the publisher's own; arrays compare as sets.
  const comparable = (v: unknown) => JSON.stringify(Array.isArray(v) ? [...new Set(v)].sort() : v)
  return Object.entries(generated).flatMap(([key, expected]): string[] => {
    const actual = document[key]
    if (key === 'client_name' || key === 'client_uri') return []
    if (key === 'scope') return lackedScopes(String(expected), String(actual ?? ''), requested)
    if (actual === undefined) return [`${key} is missing`]
    if (comparable(actual) === comparable(expected)) return []
    return [`${key} is ${JSON.stringify(actual)}, not ${JSON.stringify(expected)}`]
  })
}

/**
 * The scopes the document does not declare, grouped by the `--scope` whose login the server
 * would refuse for it (it compares scope strings exactly): "scope lacks X (needed by --scope post)".
 */
function lackedScopes(generated: string, declared: string, requested: readonly string[]): string[] {
  const has = new Set(scopeTokens(declared))
  const wanted = expandPresets(requested)
  const lacked = new Map<string, string[]>()
  for (const scope of new Set([...scopeTokens(generated), ...wanted])) {
    if (has.has(scope)) continue
    const presets: string[] = PRESET_NAMES.filter((name) =>
      (SCOPE_PRESETS[name].scopes as readonly string[]).includes(scope),
    )
    const askers = presets.length > 0 || !requested.includes(scope) ? presets : [scope]
    const neededBy = askers.length > 0 ? ` (needed by --scope ${askers.join(', --scope ')})` : ''
    lacked.set(neededBy, [...(lacked.get(neededBy) ?? []), scope])
  }
  return [...lacked].map(([neededBy, scopes]) => `scope lacks ${scopes.join(' ')}${neededBy}`)
}
