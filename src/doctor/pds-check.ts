// Is the account's PDS up? An unauthenticated GET: no session is used, so
// nothing can be refreshed or rotated by it.
import { describeCause } from '../errors.js'
import { type Check, fail, ok } from './check.js'
import type { ServerTimeSample } from './clock-check.js'
import { type HttpProbe, httpGet } from './http-probe.js'

export type PdsProbe = { pds: string; probe: HttpProbe; times: ServerTimeSample[] }

export async function probePds(pds: string, signal: AbortSignal): Promise<PdsProbe> {
  if (!URL.canParse(pds)) {
    return { pds, probe: { url: pds, error: new Error('not a URL') }, times: [] }
  }
  const health = await httpGet(new URL('/xrpc/_health', pds).href, signal)
  if (health.answer?.status !== 404) return { pds, probe: health, times: timesOf([health]) }
  // _health is the reference PDS's; other implementations may only publish
  // the OAuth resource metadata, which every atproto PDS must.
  const resource = await httpGet(new URL('/.well-known/oauth-protected-resource', pds).href, signal)
  return { pds, probe: resource, times: timesOf([health, resource]) }
}

export function pdsCheck(handle: string, { pds, probe }: PdsProbe): Check {
  const name = `pds:${handle}`
  if (!probe.answer) {
    return fail(
      name,
      `cannot reach ${pds}: ${describeCause(probe.error)}`,
      'Check your network connection; if it works, the PDS is down: try again later.',
    )
  }
  const { status } = probe.answer
  const path = new URL(probe.url).pathname
  if (status < 200 || status > 299) {
    return fail(
      name,
      `${pds} answered HTTP ${status} on ${path}`,
      'The PDS is unwell or under maintenance: try again later, or ask its operator.',
    )
  }
  return ok(name, `${pds} answers (HTTP ${status} on ${path})`)
}

function timesOf(probes: HttpProbe[]): ServerTimeSample[] {
  return probes.flatMap((p) => (p.time ? [p.time] : []))
}
