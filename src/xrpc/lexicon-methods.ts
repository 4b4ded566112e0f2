// Which XRPC methods atoauth knows: queries go as GET, procedures as POST, unknown
// ones need --method. Generated from @atproto/api's lexicons (scripts/lexicon-methods.ts).
import table from './lexicon-methods.json' with { type: 'json' }

export type LexiconMethod = { type: 'query' } | { type: 'procedure'; input?: string }

const methods = table as Record<string, LexiconMethod>

export function knownMethod(nsid: string): LexiconMethod | undefined {
  return Object.hasOwn(methods, nsid) ? methods[nsid] : undefined
}
