// Facet detection exactly as the Bluesky app does it: @atproto/api's own detectFacets, loaded
// without the package's root. The root ('@atproto/api') costs ~200 ms to load and a warm post
// must cost about one fetch, so these two files of its dist/ are imported by a path into
// node_modules: its `exports` map offers only the root. TypeScript reads the .d.ts beside them,
// esbuild bundles them, vitest loads them. test/unit/post-text.test.ts pins the result to
// `new RichText(...).detectFacetsWithoutResolution()` from the root, so an upgrade of the package
// that moves or changes either fails there.
import { detectFacets } from '../../node_modules/@atproto/api/dist/rich-text/detection.js'
import { UnicodeString } from '../../node_modules/@atproto/api/dist/rich-text/unicode.js'

/** An app.bsky.richtext.facet: a byte range of the text and what it is (link, tag, mention). */
export type Facet = {
  index: { byteStart: number; byteEnd: number }
  features: Array<{ $type: string; did?: string; uri?: string; tag?: string }>
}

/** Links, tags and mentions in `text` (mentions carry the handle as typed), by byte offset. */
export function detectTextFacets(text: string): Facet[] {
  const found = detectFacets(new UnicodeString(text)) ?? []
  return found
    .map(({ index, features }) => ({
      index: { ...index },
      features: features.map((f) => ({ ...f })),
    }))
    .sort((a, b) => a.index.byteStart - b.index.byteStart)
}
