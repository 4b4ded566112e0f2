// Under a Node older than atoauth supports, the launcher says which Node it
// needs and how to get one, and exits 1 before loading anything of dist/: the
// launcher runs here from a copy of bin/ with no dist/ beside it at all.
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const BIN = resolve(import.meta.dirname, '../../bin')
const copy = join(mkdtempSync(join(tmpdir(), 'atoauth-launcher-')), 'bin')
mkdirSync(copy)
for (const file of readdirSync(BIN)) copyFileSync(join(BIN, file), join(copy, file))
const LAUNCHER = join(copy, 'atoauth.js')

/** This Node, told it is 20.0.0 before any module of ours runs. */
const pretend20 = `data:text/javascript,Object.defineProperty(process.versions,'node',{value:'20.0.0'})`
const oldNodes: [label: string, node: string, flags: string[]][] = [
  ['this Node as 20.0.0', process.execPath, ['--import', pretend20]],
]
// Debian's own Node 20 also shows that an old Node can parse the launcher.
const DEBIAN_NODE = '/usr/bin/node'
if (existsSync(DEBIAN_NODE)) {
  const version = execFileSync(DEBIAN_NODE, ['--version'], { encoding: 'utf8' }).trim()
  if (version.startsWith('v20.')) oldNodes.push([`${DEBIAN_NODE} ${version}`, DEBIAN_NODE, []])
}

describe('the launcher on a Node too old', () => {
  it.each(oldNodes)('%s: names the Node it needs and how to get it, exit 1', (_, node, flags) => {
    const run = spawnSync(node, [...flags, LAUNCHER, 'whoami'], { encoding: 'utf8' })
    expect(run.stderr).toMatch(
      /^atoauth needs Node\.js \^22\.22\.2 \|\| \^24\.15\.0 \|\| >=26\.0\.0; this is Node\.js 20\./,
    )
    expect(run.stderr).toContain('nvm install 24')
    expect(run.stderr).toMatch(/npx -y node@24 "?\S+atoauth\.js"? whoami\n/)
    expect(run.stdout).toBe('')
    expect(run.status).toBe(1)
  })

  it.each(oldNodes)('%s --json: the one error document on stdout, exit 1', (_, node, flags) => {
    const run = spawnSync(node, [...flags, LAUNCHER, 'whoami', '--json'], {
      encoding: 'utf8',
    })
    expect(JSON.parse(run.stdout).error).toMatchObject({
      code: 'node_unsupported',
      required: '^22.22.2 || ^24.15.0 || >=26.0.0',
      version: expect.stringMatching(/^20\./),
    })
    expect(run.stderr).toBe('')
    expect(run.status).toBe(1)
  })

  it('on this Node the same copy goes on to load dist/, which is not there', () => {
    const run = spawnSync(process.execPath, [LAUNCHER, '--version'], { encoding: 'utf8' })
    expect(run.stderr).toMatch(/ERR_MODULE_NOT_FOUND[\s\S]*dist/)
  })
})
