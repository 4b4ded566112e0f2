// GitHub Pages publishes client-metadata/ (pages.yml) as a site; atoauth's default client_id must
// be the URL at which that site serves the committed document, and its client_uri a page of it.
// Where the site lives follows from the repository (package.json's `repository`): a repository
// named <owner>.github.io is served at https://<owner>.github.io/, any other at /<name>/ below it.
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { DEFAULT_CLIENT_ID } from '../../src/auth/client-id.ts'

const ROOT = new URL('../../', import.meta.url)
const SITE_DIR = 'client-metadata'
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8')

type Step = { uses?: string; with?: { path?: string } }
const pagesWorkflow = parse(read('.github/workflows/pages.yml')) as {
  on: { push: { branches: string[]; paths: string[] }; workflow_dispatch: unknown }
  permissions: Record<string, string>
  jobs: Record<string, { steps: Step[] }>
}

/** The GitHub Pages site of a repository given as package.json's `repository` says it. */
function pagesSite(repository: string | { url: string }): URL {
  const url = typeof repository === 'string' ? repository : repository.url
  const [, owner, name] = /(?:github\.com[/:]|github:|^)([\w.-]+)\/([\w.-]+?)(?:\.git)?$/.exec(url)!
  const host = `${owner!.toLowerCase()}.github.io`
  return new URL(name!.toLowerCase() === host ? `https://${host}/` : `https://${host}/${name}/`)
}

/** The committed file that the site serves at `url`, if the URL is on the site. */
function servedFile(site: URL, url: string): string | undefined {
  const { href } = new URL(url)
  if (!href.startsWith(site.href)) return undefined
  const path = decodeURIComponent(href.slice(site.href.length).replace(/[?#].*/, ''))
  return `${SITE_DIR}/${path === '' || path.endsWith('/') ? `${path}index.html` : path}`
}

describe('GitHub Pages layout', () => {
  it('pages.yml uploads exactly client-metadata/, on pushes to main that change it and by hand', () => {
    const uploads = Object.values(pagesWorkflow.jobs)
      .flatMap((job) => job.steps)
      .filter((step) => step.uses?.startsWith('actions/upload-pages-artifact@'))
    expect(uploads.map((step) => step.with?.path?.replace(/^\.\/|\/$/g, ''))).toEqual([SITE_DIR])
    expect(pagesWorkflow.on.push.branches).toEqual(['main'])
    expect(pagesWorkflow.on.push.paths).toContain(`${SITE_DIR}/**`)
    expect(pagesWorkflow.on).toHaveProperty('workflow_dispatch')
    expect(pagesWorkflow.permissions).toMatchObject({ pages: 'write', 'id-token': 'write' })
  })

  it("the default client_id is where the repository's Pages site serves the committed document", () => {
    const { repository } = JSON.parse(read('package.json'))
    expect(repository, "package.json's repository says where Pages publishes").toBeDefined()
    const site = pagesSite(repository)
    const file = servedFile(site, DEFAULT_CLIENT_ID)
    expect(file, `${site.href} does not serve ${DEFAULT_CLIENT_ID}`).toBe(
      `${SITE_DIR}/oauth-client-metadata.json`,
    )
    expect(JSON.parse(read(file!)).client_id).toBe(DEFAULT_CLIENT_ID)
  })

  it("the document's client_uri is a page the site serves", () => {
    const document = JSON.parse(read(`${SITE_DIR}/oauth-client-metadata.json`))
    const site = new URL('./', DEFAULT_CLIENT_ID)
    const page = servedFile(site, document.client_uri)
    expect(page, `${document.client_uri} is not on ${site.href}`).toBeDefined()
    expect(existsSync(new URL(page!, ROOT)), `${page} serves ${document.client_uri}`).toBe(true)
    expect(read(page!)).toMatch(/<title>[^<]*atoauth[^<]*<\/title>/)
  })

  it('knows where GitHub Pages puts a site', () => {
    expect(pagesSite('github:atoauth/atoauth.github.io').href).toBe('https://atoauth.github.io/')
    expect(pagesSite({ url: 'git+https://github.com/Atoauth/atoauth.git' }).href).toBe(
      'https://atoauth.github.io/atoauth/',
    )
    const site = new URL('https://atoauth.github.io/')
    expect(servedFile(site, 'https://atoauth.github.io/')).toBe(`${SITE_DIR}/index.html`)
    expect(servedFile(site, 'https://example.com/x.json')).toBeUndefined()
  })
})
