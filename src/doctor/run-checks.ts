// Runs every doctor check, concurrently where they do not depend on each
// other, each one bounded in time, and returns them in a fixed order.
import type { Context } from '../context.js'
import { accountsCheck, sessionCheck } from './accounts-check.js'
import { type Check, fail, withDeadline } from './check.js'
import { clientMetadataCheck, fetchClientMetadata } from './client-metadata-check.js'
import { clockCheck } from './clock-check.js'
import { configDirCheck } from './config-dir-check.js'
import { type PdsProbes, pdsCheck, probePds } from './pds-check.js'
import { secretStoreCheck } from './secret-store-check.js'

/** Above the 3 × 3 s a keychain probe may take and the 10 s of an HTTP request. */
const CHECK_LIMIT_MS = 15_000

/** `scopes`: the presets and scopes `doctor --scope` names, which the client metadata must declare. */
export async function runChecks(
  ctx: Context,
  clientId: string,
  scopes: readonly string[] = [],
): Promise<Check[]> {
  const { settings, signal } = ctx
  const limited = <T>(work: () => Promise<T>, failed: (detail: string, hint?: string) => T) =>
    withDeadline(CHECK_LIMIT_MS, signal, work, failed)
  const check = (name: string, work: () => Promise<Check>) =>
    limited(work, (detail, hint) => fail(name, detail, hint))

  const secretStore = check('secret-store', () => secretStoreCheck(settings))
  const configDir = check('config-dir', () => configDirCheck(settings.configDir))
  const metadataFetch = fetchClientMetadata(clientId, signal)
  const metadata = check('client-metadata', async () =>
    clientMetadataCheck(clientId, await metadataFetch, scopes),
  )
  const listing = await limited(
    () => accountsCheck(settings),
    (detail, hint) => ({ check: fail('accounts', detail, hint), accounts: [] }),
  )
  // Accounts on the same PDS share one request.
  const probes = new Map<string, Promise<PdsProbes>>()
  const perAccount = listing.accounts.flatMap((account) => {
    const { handle, pds } = account
    const probe = probes.get(pds) ?? probePds(pds, signal)
    probes.set(pds, probe)
    return [
      check(`pds:${handle}`, async () => pdsCheck(handle, pds, await probe)),
      check(`session:${handle}`, () => sessionCheck(account, ctx.now())),
    ]
  })
  const clock = check('clock', async () => {
    const samples = (await Promise.all(probes.values())).flat()
    const metadataProbe = await metadataFetch
    return clockCheck('url' in metadataProbe ? [...samples, metadataProbe] : samples)
  })
  return Promise.all([secretStore, configDir, listing.check, metadata, clock, ...perAccount])
}
