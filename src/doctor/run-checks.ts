// Runs every doctor check, concurrently where they do not depend on each
// other, each one bounded in time, and returns them in a fixed order.
import type { Context } from '../context.js'
import { type AccountsCheck, accountsCheck } from './accounts-check.js'
import { bounded, type Check, fail, withDeadline } from './check.js'
import { clientMetadataCheck, fetchClientMetadata } from './client-metadata-check.js'
import { clockCheck } from './clock-check.js'
import { configDirCheck } from './config-dir-check.js'
import { type PdsProbe, pdsCheck, probePds } from './pds-check.js'
import { secretStoreCheck } from './secret-store-check.js'
import { sessionCheck } from './session-check.js'

/**
 * No check takes longer than this, whatever does not answer: above the 3 × 3 s
 * a keychain probe may take and the 10 s of an HTTP request.
 */
const CHECK_LIMIT_MS = 15_000

export async function runChecks(ctx: Context, clientId: string): Promise<Check[]> {
  const { settings, signal } = ctx
  const limited = (name: string, check: (signal: AbortSignal) => Promise<Check>) =>
    bounded(name, CHECK_LIMIT_MS, signal, check)

  const secretStore = limited('secret-store', () => secretStoreCheck(settings))
  const configDir = limited('config-dir', () => configDirCheck(settings))
  const metadataFetch = fetchClientMetadata(clientId, signal)
  const metadata = limited('client-metadata', () => metadataFetch.then(clientMetadataCheck))

  const { check: accounts, accounts: listed } = await withDeadline<AccountsCheck>(
    CHECK_LIMIT_MS,
    signal,
    () => accountsCheck(settings),
    (detail, hint) => ({ check: fail('accounts', detail, hint), accounts: [] }),
  )
  // Accounts on the same PDS share one request.
  const probes = new Map<string, Promise<PdsProbe>>()
  for (const { pds } of listed) {
    if (!probes.has(pds)) probes.set(pds, probePds(pds, signal))
  }
  const perAccount = listed.flatMap((account) => [
    limited(`pds:${account.handle}`, async () =>
      pdsCheck(account.handle, await (probes.get(account.pds) as Promise<PdsProbe>)),
    ),
    limited(`session:${account.handle}`, () => sessionCheck(account, ctx.now())),
  ])
  const clock = limited('clock', async () => {
    const pdsTimes = (await Promise.all(probes.values())).flatMap((p) => p.times)
    const metadataTime = (await metadataFetch).probe?.time
    return clockCheck(metadataTime ? [...pdsTimes, metadataTime] : pdsTimes)
  })

  return Promise.all([secretStore, configDir, accounts, metadata, clock, ...perAccount])
}
