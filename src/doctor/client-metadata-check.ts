// Will an authorization server accept atoauth's client_id? Fetches the
// client metadata document the way the reference server does (no redirect,
// status 200, application/json, at most 512 kB, 10 s), validates it with
// @atproto/oauth-types and atoauth's own requirements, and compares it with
// what `atoauth client-metadata` generates for that URL.
import { describeCause } from '../errors.js'
import { DEFAULT_SCOPE, isLoopbackClientId } from '../oauth/client-id.js'
import { type Check, fail, ok, warn } from './check.js'
import { type HttpProbe, httpGet } from './http-probe.js'

const NAME = 'client-metadata'

export type ClientMetadataProbe = { clientId: string; probe?: HttpProbe; check?: Check }

/** Fetches the document; `check` is set when there is nothing to fetch. */
export async function fetchClientMetadata(
  clientId: string,
  signal: AbortSignal,
): Promise<ClientMetadataProbe> {
  if (isLoopbackClientId(clientId)) {
    return { clientId, check: ok(NAME, `${clientId} is the development client id: no document`) }
  }
  const { assertDiscoverableClientId } = await import('../oauth/client-metadata.js')
  try {
    assertDiscoverableClientId(clientId)
  } catch (err) {
    return { clientId, check: fail(NAME, describeCause(err), (err as { hint?: string }).hint) }
  }
  return { clientId, probe: await httpGet(clientId, signal) }
}

export async function clientMetadataCheck({
  clientId,
  probe,
  check,
}: ClientMetadataProbe): Promise<Check> {
  if (check || !probe) return check ?? fail(NAME, 'not fetched')
  const publish = `Publish the output of: atoauth client-metadata --client-id ${clientId}`
  const { answer } = probe
  if (!answer) {
    return fail(
      NAME,
      `cannot fetch ${clientId}: ${describeCause(probe.error)}`,
      'Check your network connection, and that the document is published at that URL (README: "Hosting your own client metadata").',
    )
  }
  if (answer.status >= 300 && answer.status < 400) {
    const location = answer.headers.get('location')
    return fail(
      NAME,
      `${clientId} redirects (HTTP ${answer.status}${location ? ` to ${location}` : ''}); authorization servers do not follow redirects`,
      'Serve the document at the client_id URL itself.',
    )
  }
  if (answer.status !== 200) {
    return fail(NAME, `${clientId} answered HTTP ${answer.status}`, publish)
  }
  const contentType = answer.headers.get('content-type') ?? 'no content type'
  if (contentType.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
    return fail(
      NAME,
      `${clientId} is served as "${contentType}"; authorization servers require application/json`,
      'Configure the web server to send content-type: application/json for it.',
    )
  }
  if (answer.body === undefined) {
    return fail(NAME, `${clientId} is larger than 512 kB`, publish)
  }
  let document: unknown
  try {
    document = JSON.parse(answer.body)
  } catch {
    return fail(NAME, `${clientId} is not JSON`, publish)
  }
  const { hostedClientMetadata, validateHostedClientMetadata } = await import(
    '../oauth/client-metadata.js'
  )
  const problems = validateHostedClientMetadata(clientId, document, DEFAULT_SCOPE)
  if (problems.length > 0) {
    return fail(NAME, `${clientId} does not work for atoauth: ${problems.join('; ')}`, publish)
  }
  const differences = differencesFrom(hostedClientMetadata(clientId), document)
  if (differences.length > 0) {
    return warn(
      NAME,
      `${clientId} works, but differs from what atoauth generates: ${differences.join('; ')}`,
      publish,
    )
  }
  return ok(NAME, `${clientId} is valid and matches what atoauth generates`)
}

/**
 * What a valid document lacks compared with the generated one: e.g. scopes
 * that `login --scope` may ask for and the server would then refuse.
 */
function differencesFrom(generated: Record<string, unknown>, document: unknown): string[] {
  const doc = document as Record<string, unknown>
  const differences: string[] = []
  for (const [key, expected] of Object.entries(generated)) {
    // Names and links are the publisher's own.
    if (key === 'client_name' || key === 'client_uri') continue
    const actual = doc[key]
    if (key === 'scope') {
      const declared = new Set(String(actual ?? '').split(' '))
      const missing = String(expected)
        .split(' ')
        .filter((s) => !declared.has(s))
      if (missing.length > 0) differences.push(`scope lacks ${missing.join(' ')}`)
    } else if (actual === undefined) {
      differences.push(`${key} is missing`)
    } else if (JSON.stringify(normalized(actual)) !== JSON.stringify(normalized(expected))) {
      differences.push(`${key} is ${JSON.stringify(actual)}, not ${JSON.stringify(expected)}`)
    }
  }
  return differences
}

/** Arrays compare as sets. */
function normalized(value: unknown): unknown {
  return Array.isArray(value) ? [...new Set(value.map(String))].sort() : value
}
