// Every document or section that atoauth's words name exists: a hint that sends someone to
// "the README's X" or docs/errors.md#y must not lead nowhere. Scans src/ and bin/ (hints,
// messages and comments alike) for names of Markdown files, with the anchor or the quoted
// heading that follows them, and checks each against the files of this repository.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '../..')

/** A file name (README, docs/errors.md…), then maybe #anchor or a quoted heading ("…", '…'s "…"). */
const REFERENCE =
  /\b((?:[\w-]+\/)*[\w-]+\.md|README)(?:#([\w-]+)|(?:'s|,|:)? (?:section )?"([^"]+)")?/g

type Reference = { source: string; file: string; anchor?: string; heading?: string }

function sourcesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(ts|js|mjs)$/.test(file))
    .map((file) => join(dir, file))
}

function referencesIn(source: string): Reference[] {
  const text = readFileSync(join(ROOT, source), 'utf8')
  return [...text.matchAll(REFERENCE)].map(([, name, anchor, heading]) => ({
    source,
    file: name === 'README' ? 'README.md' : (name as string),
    ...(anchor ? { anchor } : {}),
    ...(heading ? { heading } : {}),
  }))
}

/** The headings of a Markdown file, outside its code blocks. */
function headingsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '')
  return [...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => (m[1] as string).trim())
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

/** What is wrong with a reference, or undefined when it leads where it says. */
function problemWith({ file, anchor, heading }: Reference): string | undefined {
  if (!existsSync(join(ROOT, file))) return `${file} does not exist`
  const headings = headingsOf(file)
  if (anchor && !headings.some((h) => anchorOf(h) === anchor)) return `${file} has no #${anchor}`
  // A heading may be named by its start ("Publishing your own" for "… (e.g. for a fork)").
  if (heading && !headings.some((h) => h.startsWith(heading))) {
    return `${file} has no section "${heading}"`
  }
  return undefined
}

const references = [...sourcesUnder('src'), ...sourcesUnder('bin')].flatMap(referencesIn)

describe('documents named in the source', () => {
  it('are found by the scan (the doctor hint that names a section among them)', () => {
    expect(references).toContainEqual({
      source: join('src', 'doctor', 'client-metadata-check.ts'),
      file: 'client-metadata/README.md',
      heading: 'Publishing your own',
    })
  })

  it('each exist, with the section or anchor named', () => {
    const broken = references.flatMap((reference) => {
      const problem = problemWith(reference)
      return problem ? [`${reference.source}: ${problem}`] : []
    })
    expect(broken).toEqual([])
  })

  it('a missing section or anchor is caught', () => {
    expect(problemWith({ source: 'x', file: 'README.md', heading: 'Hosting your own' })).toBe(
      'README.md has no section "Hosting your own"',
    )
    expect(problemWith({ source: 'x', file: 'docs/errors.md', anchor: 'the-keychain' })).toBe(
      undefined,
    )
    expect(problemWith({ source: 'x', file: 'docs/errors.md', anchor: 'nope' })).toBe(
      'docs/errors.md has no #nope',
    )
    expect(problemWith({ source: 'x', file: 'docs/nope.md' })).toBe('docs/nope.md does not exist')
  })
})
