// Registers did:plc identities in the sandbox's real PLC directory with
// whatever services a test needs, e.g. none at all, or a PDS that is down:
// documents the PDS itself would never create.
import { Secp256k1Keypair } from '@atproto/crypto'
import { didForCreateOp, signOperation } from '@did-plc/lib'

export type PlcIdentity = {
  /** The handle in the document's alsoKnownAs (not resolvable anywhere). */
  handle: string
  /** The #atproto_pds service endpoint; none when undefined. */
  pdsEndpoint: string | undefined
}

/** Creates the DID with a genesis operation signed by a fresh key, and returns it. */
export async function registerDid(plcUrl: string, identity: PlcIdentity): Promise<string> {
  const key = await Secp256k1Keypair.create()
  const services: Record<string, { type: string; endpoint: string }> = {}
  if (identity.pdsEndpoint) {
    services.atproto_pds = { type: 'AtprotoPersonalDataServer', endpoint: identity.pdsEndpoint }
  }
  const op = await signOperation(
    {
      type: 'plc_operation',
      rotationKeys: [key.did()],
      verificationMethods: { atproto: key.did() },
      alsoKnownAs: [`at://${identity.handle}`],
      services,
      prev: null,
    },
    key,
  )
  const did = await didForCreateOp(op)
  const res = await fetch(`${plcUrl}/${encodeURIComponent(did)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(op),
  })
  if (!res.ok) throw new Error(`PLC refused ${did}: ${res.status} ${await res.text()}`)
  return did
}
