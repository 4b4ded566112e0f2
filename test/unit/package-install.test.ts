// What a stranger gets from `npm install -g atoauth-<version>.tgz`: the packed
// tarball (of the dist/ that `npm run build` made; scripts/test.sh builds it
// first) installed into a scratch prefix from the registry npm is set up for.
// Few packages and bytes, none with an install script, and the installed
// command runs.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
const MAX_PACKAGES = 10
const MAX_BYTES = 15 * 1024 * 1024
const windows = process.platform === 'win32'
// The installed command's `#!/usr/bin/env node` finds the Node running this test.
const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` }

function run(command: string, args: string[], cwd: string) {
  // npm and the installed command are .cmd scripts on Windows, run by its shell.
  return execFileSync(command, args, { cwd, env, encoding: 'utf8', shell: windows })
}

/** Every package directory (one with a package.json) under a node_modules, nested ones too. */
function packagesUnder(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return []
  return readdirSync(nodeModules)
    .flatMap((name) =>
      name.startsWith('@')
        ? readdirSync(join(nodeModules, name)).map((inner) => join(nodeModules, name, inner))
        : [join(nodeModules, name)],
    )
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .flatMap((dir) => [dir, ...packagesUnder(join(dir, 'node_modules'))])
}

function bytesUnder(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0)
}

describe('the packed package, installed globally', () => {
  it('is small, runs no install script, and answers --version and --help', {
    timeout: 120_000,
  }, () => {
    expect(existsSync(join(ROOT, 'dist/cli.js')), 'run `npm run build` first').toBe(true)
    const scratch = mkdtempSync(join(tmpdir(), 'atoauth-package-'))
    // The dist/ as built: packing must not rebuild it under tests that use it.
    const [packed] = JSON.parse(
      run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], ROOT),
    )
    const shipped = packed.files.map((file: { path: string }) => file.path)
    expect(shipped).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'CHANGELOG.md',
        'dist/THIRD_PARTY_NOTICES.md',
        'dist/chunks/xdg-open',
        'bin/supported-node.js',
        'bin/compile-cache.js',
      ]),
    )

    const prefix = join(scratch, 'prefix')
    const tarball = join(scratch, packed.filename)
    run('npm', ['install', '-g', '--prefix', prefix, '--no-fund', '--no-audit', tarball], scratch)

    const installed = join(prefix, windows ? '' : 'lib', 'node_modules', 'atoauth')
    const packages = packagesUnder(dirname(installed))
    expect(packages.length).toBeLessThanOrEqual(MAX_PACKAGES)
    expect(bytesUnder(installed)).toBeLessThanOrEqual(MAX_BYTES)
    const withInstallScripts = packages.filter((dir) => {
      const { scripts = {} } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
      const hooks = ['preinstall', 'install', 'postinstall', 'prepare']
      return hooks.some((hook) => scripts[hook]) || existsSync(join(dir, 'binding.gyp'))
    })
    expect(withInstallScripts).toEqual([])

    const command = join(prefix, windows ? 'atoauth.cmd' : 'bin/atoauth')
    expect(run(command, ['--version'], scratch).trim()).toBe(version)
    expect(run(command, ['--help'], scratch)).toMatch(/^Usage: atoauth /)
  })
})
