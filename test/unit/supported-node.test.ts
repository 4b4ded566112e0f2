// The Node versions atoauth promises (package.json's engines.node) are exactly
// those every locked package accepts: .npmrc's engine-strict makes `npm ci`
// refuse a Node any of them refuses, and promising less would turn away Nodes
// that work. The launcher's own check (bin/supported-node.js) agrees with it.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import semver from 'semver'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const readJson = (file: string) => JSON.parse(readFileSync(resolve(ROOT, file), 'utf8'))
const promised: string = readJson('package.json').engines.node
type Locked = Record<string, { engines?: { node?: string } }>
const locked = Object.entries(readJson('package-lock.json').packages as Locked).flatMap(
  ([path, pkg]) => (path && pkg.engines?.node ? [{ path, range: pkg.engines.node }] : []),
)
// A file URL: a bare C:\ path is read as a URL scheme on Windows.
const launcherCheck = pathToFileURL(resolve(ROOT, 'bin/supported-node.js')).href
const { SUPPORTED_NODE, isSupportedNode } = (await import(launcherCheck)) as {
  SUPPORTED_NODE: string
  isSupportedNode: (version: string) => boolean
}

/** Every Node release line from 18 to 28, minors 0 to 30, patches 0 to 5. */
const versions = Array.from({ length: 11 * 31 * 6 }, (_, i) => {
  const [major, minor, patch] = [18 + Math.floor(i / 186), Math.floor(i / 6) % 31, i % 6]
  return `${major}.${minor}.${patch}`
})

describe('the Node versions atoauth promises', () => {
  it('are accepted by every package in package-lock.json', () => {
    expect(semver.validRange(promised)).toBeTruthy()
    const refusing = locked.filter(({ range }) => !semver.subset(promised, range))
    expect(refusing).toEqual([])
  })

  it('leave out no Node 22 or later that every locked package accepts', () => {
    const leftOut = versions.filter(
      (v) => semver.gte(v, '22.0.0') && !semver.satisfies(v, promised),
    )
    const withoutReason = leftOut.filter((v) =>
      locked.every(({ range }) => semver.satisfies(v, range)),
    )
    expect(leftOut.length).toBeGreaterThan(0)
    expect(withoutReason).toEqual([])
  })

  it('are the ones the launcher lets through', () => {
    expect(SUPPORTED_NODE).toBe(promised)
    const disagreeing = versions.filter((v) => isSupportedNode(v) !== semver.satisfies(v, promised))
    expect(disagreeing).toEqual([])
  })
})
