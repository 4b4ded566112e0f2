// Is the account's PDS up? Unauthenticated GETs: no session is used, so
// nothing can be refreshed or rotated by them.
import { describeCause } from '../errors.js'
import { type Check, fail, ok } from './check.js'
import { type HttpProbe, httpGet } from './http-probe.js'

/** Every request made, the one that decides first. */
export type PdsProbes = [HttpProbe, ...HttpProbe[]]

export async function probePds(pds: string, signal: AbortSignal): Promise<PdsProbes> {
  // A pds that is no URL is fetched as is, and reported as unreachable.
  const get = (path: string) => httpGet(URL.parse(path, pds)?.href ?? pds, signal)
  const health = await get('/xrpc/_health')
  if (health.answer?.status !== 404) return [health]
  // _health is the reference PDS's; every atproto PDS publishes its OAuth resource metadata.
  return [await get('/.well-known/oauth-protected-resource'), health]
}

export function pdsCheck(handle: string, pds: string, [probe]: PdsProbes): Check {
  const name = `pds:${handle}`
  if (!probe.answer) {
    const hint = 'Check your network connection; if it works, the PDS is down: try again later.'
    return fail(name, `cannot reach ${pds}: ${describeCause(probe.error)}`, hint)
  }
  const { status } = probe.answer
  const on = `HTTP ${status} on ${new URL(probe.url).pathname}`
  if (status >= 200 && status < 300) return ok(name, `${pds} answers (${on})`)
  const hint = 'The PDS is unwell or under maintenance: try again later, or ask its operator.'
  return fail(name, `${pds} answered ${on}`, hint)
}
