// Node's compile cache holds code that Node runs without compiling it again:
// atoauth keeps it in its own cache folder, and only when that folder is this
// user's alone, never in the shared temp folder where another user could
// plant it. The launcher runs here from a copy of bin/ beside a stand-in
// dist/cli.js that prints where Node's compile cache is (null: none).
import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { resolveSettings } from '../../src/settings.ts'

const BIN = resolve(import.meta.dirname, '../../bin')
const { atoauthCacheDir, isPrivateFolder } = (await import(
  pathToFileURL(join(BIN, 'compile-cache.js')).href
)) as {
  atoauthCacheDir: (
    env?: NodeJS.ProcessEnv,
    platform?: NodeJS.Platform,
    home?: () => string,
  ) => string
  isPrivateFolder: (
    stats: { isDirectory(): boolean; uid: number; mode: number },
    uid?: number,
  ) => boolean
}
const windows = process.platform === 'win32'
const root = mkdtempSync(join(tmpdir(), 'atoauth-compile-cache-'))
const install = join(root, 'install')
mkdirSync(join(install, 'bin'), { recursive: true })
for (const file of readdirSync(BIN)) copyFileSync(join(BIN, file), join(install, 'bin', file))
mkdirSync(join(install, 'dist'))
writeFileSync(
  join(install, 'dist/cli.js'),
  `import module from 'node:module'
export async function main() {
  process.stdout.write(JSON.stringify(module.getCompileCacheDir() ?? null))
  return 0
}
export async function exitWith(code) { process.exitCode = code }
`,
)

/** The launcher's compile cache folder under `env` (null: none); it must have run. */
function compileCacheOf(env: NodeJS.ProcessEnv, nodeFlags: string[] = []): string | null {
  const { NODE_COMPILE_CACHE, NODE_DISABLE_COMPILE_CACHE, ATOAUTH_CACHE_DIR, ...rest } = process.env
  const run = spawnSync(process.execPath, [...nodeFlags, join(install, 'bin/atoauth.js')], {
    env: { ...rest, ...env },
    encoding: 'utf8',
  })
  expect(run.stderr).toBe('')
  expect(run.status).toBe(0)
  return JSON.parse(run.stdout)
}

let count = 0
/** A cache folder path of its own for each test, not made yet. */
const freshCacheDir = () => join(root, `cache-${++count}`)
/** An atoauth cache folder with a private compile cache folder in it, both 0700. */
function privateCacheDir(): string {
  const cacheDir = freshCacheDir()
  mkdirSync(join(cacheDir, 'node-compile-cache'), { recursive: true, mode: 0o700 })
  chmodSync(cacheDir, 0o700)
  return cacheDir
}
const mode = (path: string) => lstatSync(path).mode & 0o777
// Where Node's own default would be: the shared temp folder.
const sharedDefault = join(tmpdir(), 'node-compile-cache')

describe("the launcher's compile cache", () => {
  it('goes in a fresh atoauth cache folder, made 0700, and Node writes to it', () => {
    const cacheDir = freshCacheDir()
    const used = compileCacheOf({ ATOAUTH_CACHE_DIR: cacheDir })
    const folder = join(cacheDir, 'node-compile-cache')
    expect(used?.startsWith(folder)).toBe(true)
    expect(readdirSync(used as string).length).toBeGreaterThan(0)
    // Windows shows no such permission bits; see the next test for the folder it takes there.
    if (!windows) {
      expect(mode(cacheDir).toString(8)).toBe('700')
      expect(mode(folder).toString(8)).toBe('700')
    }
  })

  it('without ATOAUTH_CACHE_DIR: under the per-user cache folder, never the shared temp one', () => {
    const home = freshCacheDir()
    const used = compileCacheOf({ XDG_CACHE_HOME: home, LOCALAPPDATA: home, HOME: home })
    const expected = {
      darwin: join(home, 'Library/Caches/atoauth'),
      win32: join(home, 'atoauth/Cache'),
    }[process.platform as string]
    expect(used?.startsWith(join(expected ?? join(home, 'atoauth'), 'node-compile-cache'))).toBe(
      true,
    )
    expect(used?.startsWith(sharedDefault)).toBe(false)
  })

  it('is left to Node when the user set NODE_COMPILE_CACHE, and no folder of atoauth is made', () => {
    const mine = join(root, 'my-own-cache')
    const cacheDir = freshCacheDir()
    const used = compileCacheOf({ NODE_COMPILE_CACHE: mine, ATOAUTH_CACHE_DIR: cacheDir })
    expect(used?.startsWith(mine)).toBe(true)
    expect(existsSync(cacheDir)).toBe(false)
  })

  it('is off when the user set NODE_DISABLE_COMPILE_CACHE', () => {
    const cacheDir = freshCacheDir()
    expect(compileCacheOf({ NODE_DISABLE_COMPILE_CACHE: '1', ATOAUTH_CACHE_DIR: cacheDir })).toBe(
      null,
    )
  })

  it('is off, and the command still runs, when a file stands where the folder would be', () => {
    const cacheDir = freshCacheDir()
    writeFileSync(cacheDir, 'not a folder')
    expect(compileCacheOf({ ATOAUTH_CACHE_DIR: cacheDir })).toBe(null)
  })

  it('is used in a private folder that is already there', () => {
    const cacheDir = privateCacheDir()
    const used = compileCacheOf({ ATOAUTH_CACHE_DIR: cacheDir })
    expect(used?.startsWith(join(cacheDir, 'node-compile-cache'))).toBe(true)
  })
})

// Windows shows no owner or permission bits to Node, and making a link there needs a privilege.
describe.skipIf(windows)(
  "the launcher's compile cache is off in a folder not private to the user",
  () => {
    it.each([
      ['the compile cache folder', '770', 'node-compile-cache'],
      ['the compile cache folder', '703', 'node-compile-cache'],
      ['the compile cache folder', '777', 'node-compile-cache'],
      ["atoauth's cache folder", '770', '.'],
      ["atoauth's cache folder", '707', '.'],
    ])('%s writable by group or others (mode %s)', (_, bits, folder) => {
      const cacheDir = privateCacheDir()
      chmodSync(join(cacheDir, folder), Number.parseInt(bits, 8))
      expect(compileCacheOf({ ATOAUTH_CACHE_DIR: cacheDir })).toBe(null)
    })

    it('the compile cache folder is a link, even to a private folder of the user', () => {
      const cacheDir = privateCacheDir()
      const elsewhere = privateCacheDir()
      const link = join(cacheDir, 'node-compile-cache')
      rmdirSync(link)
      symlinkSync(join(elsewhere, 'node-compile-cache'), link)
      expect(compileCacheOf({ ATOAUTH_CACHE_DIR: cacheDir })).toBe(null)
    })

    it("atoauth's cache folder is a link, even to a private folder of the user", () => {
      const link = freshCacheDir()
      symlinkSync(privateCacheDir(), link)
      expect(compileCacheOf({ ATOAUTH_CACHE_DIR: link })).toBe(null)
      // A trailing slash makes lstat follow the link: the launcher does not let it.
      expect(compileCacheOf({ ATOAUTH_CACHE_DIR: `${link}/` })).toBe(null)
    })

    it('the folder is owned by another user (this process told it is uid 65534)', () => {
      const cacheDir = privateCacheDir()
      const otherUid = `data:text/javascript,process.getuid=()=>65534`
      expect(compileCacheOf({ ATOAUTH_CACHE_DIR: cacheDir }, ['--import', otherUid])).toBe(null)
    })

    // Only root can give a folder away to another user (nobody, 65534).
    it.skipIf(process.getuid?.() !== 0)(
      'the folder is owned by another user (chowned to nobody)',
      () => {
        for (const folder of ['node-compile-cache', '.']) {
          const cacheDir = privateCacheDir()
          chownSync(join(cacheDir, folder), 65534, 65534)
          expect(compileCacheOf({ ATOAUTH_CACHE_DIR: cacheDir }), folder).toBe(null)
        }
      },
    )
  },
)

describe('isPrivateFolder', () => {
  const folder = (uid: number, mode: number, isDirectory = true) => ({
    isDirectory: () => isDirectory,
    uid,
    mode: 0o040000 | mode,
  })

  it('takes a folder of the user that no one else may write in', () => {
    expect(isPrivateFolder(folder(1000, 0o700), 1000)).toBe(true)
    expect(isPrivateFolder(folder(1000, 0o755), 1000)).toBe(true)
  })

  it("refuses another user's folder, one the group or others may write in, or no folder", () => {
    expect(isPrivateFolder(folder(1001, 0o700), 1000)).toBe(false)
    expect(isPrivateFolder(folder(1000, 0o720), 1000)).toBe(false)
    expect(isPrivateFolder(folder(1000, 0o702), 1000)).toBe(false)
    expect(isPrivateFolder(folder(1000, 0o700, false), 1000)).toBe(false)
  })

  it('on Windows (no uid) takes any real folder', () => {
    expect(isPrivateFolder(folder(0, 0o666), undefined)).toBe(true)
    expect(isPrivateFolder(folder(0, 0o666, false), undefined)).toBe(false)
  })
})

describe("atoauthCacheDir: the launcher's copy of settings.ts's cacheDir", () => {
  const realPlatform = Object.getOwnPropertyDescriptor(process, 'platform') as PropertyDescriptor
  afterEach(() => {
    vi.unstubAllEnvs()
    Object.defineProperty(process, 'platform', realPlatform)
  })

  it.each([
    ['linux', {}],
    ['linux', { XDG_CACHE_HOME: join(root, 'xdg') }],
    ['linux', { ATOAUTH_CACHE_DIR: join(root, 'chosen') }],
    ['darwin', {}],
    ['darwin', { ATOAUTH_CACHE_DIR: 'relative/chosen' }],
    ['win32', {}],
    ['win32', { LOCALAPPDATA: join(root, 'local') }],
  ] as const)('%s %j', (platform, env) => {
    // env-paths asks process.platform at each call.
    Object.defineProperty(process, 'platform', { ...realPlatform, value: platform })
    for (const name of ['XDG_CACHE_HOME', 'LOCALAPPDATA', 'ATOAUTH_CACHE_DIR'])
      vi.stubEnv(name, (env as Record<string, string>)[name] ?? '')
    const fromSettings = resolveSettings({}, process.env).cacheDir
    expect(atoauthCacheDir(process.env, platform, homedir)).toBe(fromSettings)
  })
})
