// Where a handle's web server may be: a public address only. A handle names
// any host its owner likes, including 127.0.0.1 or a router's admin page; the
// OAuth library's own handle resolver refuses those (its SSRF protection), and
// so does ours, by resolving the name itself and refusing private, loopback,
// link-local and other special ranges (ipaddr.js classifies them).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'

export function isPublicAddress(address: string): boolean {
  try {
    // process(): an IPv4-mapped IPv6 address is judged as the IPv4 one.
    return ipaddr.process(address).range() === 'unicast'
  } catch {
    return false
  }
}

/** A `lookup` for node:http(s) and node:net that only ever connects to public addresses. */
export const publicAddressLookup: LookupFunction = (hostname, options, callback) => {
  if (isIP(hostname)) {
    finish(
      hostname,
      [{ address: hostname, family: isIP(hostname) }],
      options.all === true,
      callback,
    )
    return
  }
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) callback(err, '', 0)
    else finish(hostname, addresses, options.all === true, callback)
  })
}

function finish(
  hostname: string,
  addresses: LookupAddress[],
  all: boolean,
  callback: Parameters<LookupFunction>[2],
) {
  const allowed = addresses.filter((a) => isPublicAddress(a.address))
  const first = allowed[0]
  if (!first) {
    const err = Object.assign(new Error(`${hostname} has no public address`), {
      code: 'ENOTPUBLIC',
    })
    callback(err, '', 0)
  } else if (all) {
    ;(callback as unknown as (err: null, addresses: LookupAddress[]) => void)(null, allowed)
  } else {
    callback(null, first.address, first.family)
  }
}
