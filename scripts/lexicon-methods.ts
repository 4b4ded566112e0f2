// Generates src/xrpc/lexicon-methods.json: for every XRPC method whose lexicon
// @atproto/api ships, whether it is a query (GET) or a procedure (POST), and a
// procedure's input encoding when it is not JSON. `atoauth api` reads this
// small table instead of loading the whole lexicon set at startup.
//   node scripts/lexicon-methods.ts          rewrites the file
// A unit test checks that the committed file matches @atproto/api.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import type { LexiconMethod } from '../src/xrpc/lexicon-methods.ts'

export const LEXICON_METHODS_PATH = join(import.meta.dirname, '../src/xrpc/lexicon-methods.json')

export async function generateLexiconMethods(): Promise<string> {
  const { schemas } = await import('@atproto/api')
  const methods: Array<[string, LexiconMethod]> = []
  for (const doc of schemas) {
    const main = (doc.defs as { main?: { type: string; input?: { encoding?: string } } }).main
    if (main?.type === 'query') methods.push([doc.id, { type: 'query' }])
    if (main?.type === 'procedure') {
      const encoding = main.input?.encoding
      const method: LexiconMethod =
        encoding && encoding !== 'application/json'
          ? { type: 'procedure', input: encoding }
          : { type: 'procedure' }
      methods.push([doc.id, method])
    }
  }
  methods.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const lines = methods.map(([id, method]) => `  ${JSON.stringify(id)}: ${JSON.stringify(method)}`)
  return `{\n${lines.join(',\n')}\n}\n`
}

if (import.meta.main) {
  await writeFile(LEXICON_METHODS_PATH, await generateLexiconMethods())
  console.error(`wrote ${LEXICON_METHODS_PATH}`)
}
