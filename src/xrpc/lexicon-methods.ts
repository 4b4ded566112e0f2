// Which XRPC methods atoauth knows, and how each is called: queries go as
// GET, procedures as POST. The table is generated from the lexicons that
// @atproto/api ships (scripts/lexicon-methods.ts); unknown methods need
// --method.
import table from './lexicon-methods.json' with { type: 'json' }

export type LexiconMethod = { type: 'query' } | { type: 'procedure'; input?: string }

const methods = table as Record<string, LexiconMethod>

export function knownMethod(nsid: string): LexiconMethod | undefined {
  return Object.hasOwn(methods, nsid) ? methods[nsid] : undefined
}
